"""Chapter 7.5: SimpleConvNet, the book's first convolutional network, trained on real images.

The book's ch07/simple_convnet.py and train_convnet.py: input (1, 28, 28) -> Convolution 30
filters 5x5 (stride 1, pad 0) -> ReLU -> max Pooling 2x2 stride 2 -> Affine 4320 -> 100 -> ReLU ->
Affine 100 -> 10 -> softmax cross-entropy; every weight N(0, 0.01^2), biases 0; Adam lr 0.001,
minibatches of 100, 20 epochs, train and test accuracy after every epoch on 1000 images each
(the book's evaluate_sample_num_per_epoch), the whole test set at the end. The book reaches a
test accuracy of about 0.99 on MNIST (its text: just under 99%). In PyTorch's layers the net is
nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4320, 100),
nn.ReLU(), nn.Linear(100, 10)), and nn.CrossEntropyLoss is the book's SoftmaxWithLoss.

Each epoch prints its training time: SimpleConvNet is minutes per epoch on a 2-core machine in
NumPy (the book's cost note), so --epochs picks fewer than the book's 20. The trained weights go to
runs/ch07/simple_convnet.npz (the book's params.pkl), which filters.py draws. Figure: accuracy per
epoch (docs/results/ch7_simple_convnet.png).

--convention book: Adam in the book's form (eps 1e-7 on the uncorrected second moment),
minibatches drawn with replacement, float64 weights. pytorch (default): optim.Adam, a shuffled
DataLoader, float32.

    python examples/ch07/simple_convnet.py [--epochs 20] [--convention book|pytorch] [--quick] [--dataset ...]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import ROOT, Images, load_images, parse_args, record_result  # noqa: E402
from common.figures import plot_accuracy, save_figure  # noqa: E402
from common.nets import init_weights_, numpy_dtype  # noqa: E402
from common.training import History, Learner, Schedule, evaluate_accuracy, minibatches, train  # noqa: E402

FILTERS = 30
FILTER_SIZE = 5
HIDDEN = 100
WEIGHT_INIT_STD = 0.01
EPOCHS = 20
BATCH_SIZE = 100
LEARNING_RATE = 0.001
EVALUATION_IMAGES = 1000  # the book's evaluate_sample_num_per_epoch
BOOK = "test ~0.99 after 20 epochs (MNIST; the text: just under 99%)"
CHECKPOINT = ROOT / "runs" / "ch07" / "simple_convnet.npz"


def simple_conv_net() -> nn.Sequential:
    """The book's SimpleConvNet in PyTorch's layers; every weight N(0, 0.01^2), every bias 0."""
    net = nn.Sequential(
        nn.Conv2d(1, FILTERS, kernel_size=FILTER_SIZE),  # Convolution(W1, b1, stride=1, pad=0): (30, 24, 24)
        nn.ReLU(),                                       # Relu1
        nn.MaxPool2d(kernel_size=2),                     # Pooling(pool_h=2, pool_w=2, stride=2): (30, 12, 12)
        nn.Flatten(),                                    # the book's Affine flattens its input itself
        nn.Linear(FILTERS * 12 * 12, HIDDEN),            # Affine1
        nn.ReLU(),                                       # Relu2
        nn.Linear(HIDDEN, 10),                           # Affine2 (the softmax is in the loss)
    )
    return init_weights_(net, WEIGHT_INIT_STD)


def book_adam(params, convention: str) -> optim.Optimizer:
    """Adam lr 0.001: the book's form (eps 1e-7 added to the root of the uncorrected v) or PyTorch's."""
    if convention == "book":
        return optim.Adam(params, lr=LEARNING_RATE, eps=1e-7, convention="book")
    return optim.Adam(params, lr=LEARNING_RATE)


def train_like_the_book(model: nn.Module, images: Images, epochs: int, args: argparse.Namespace,
                        train_images: int | None = None) -> tuple[History, float]:
    """The book's Trainer (ch7 and ch8): Adam, batches of 100, accuracy on 1000 train and 1000 test
    images after each epoch, then on the whole test set. Returns the history and that accuracy.
    --quick: the first train_images images, 100 for the accuracy per epoch, 200 at the end."""
    (x_train, t_train), (x_test, t_test) = images.train, images.test
    if train_images is not None:
        x_train, t_train = x_train[:train_images], t_train[:train_images]
    evaluated = 100 if args.quick else EVALUATION_IMAGES
    if args.quick:
        x_test, t_test = x_test[:200], t_test[:200]
    per_epoch = max(len(x_train) // BATCH_SIZE, 1)
    learner = Learner(model, book_adam(model.parameters(), args.convention))
    print(f"{len(x_train)} training images, batch {BATCH_SIZE}, {epochs} epochs of {per_epoch} steps, "
          f"Adam lr {LEARNING_RATE} ({args.convention} convention)")
    train([learner], minibatches(x_train, t_train, BATCH_SIZE, args.convention, numpy_dtype(args.convention)),
          Schedule.epochs(epochs, per_epoch, args.convention),
          {"train": (x_train[:evaluated], t_train[:evaluated]), "test": (x_test[:evaluated], t_test[:evaluated])},
          progress=not args.quick)
    started = time.perf_counter()
    test_accuracy = evaluate_accuracy(model, x_test, t_test, batch_size=500)
    print(f"test accuracy on {len(x_test)} test images: {test_accuracy:.4f} "
          f"({time.perf_counter() - started:.1f} s)")
    return learner.history, test_accuracy


def run_training_experiment(model: nn.Module, name: str, figure: str, title: str, book: str, images: Images,
                            epochs: int, train_images: int | None, args: argparse.Namespace) -> dict:
    """Train like the book, then save the checkpoint, the accuracy figure and the results row.

    The row is "<name> (<convention>)" and says exactly what ran: epochs, images, time per epoch
    and the load of the machine it was measured under; the figure is <figure>[_book].png.
    """
    history, test_accuracy = train_like_the_book(model, images, epochs, args, train_images)
    per_epoch = seconds_per_epoch(history)
    checkpoint = Path(args.checkpoint)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    tg.save(model.state_dict(), checkpoint)
    print(f"checkpoint: {checkpoint}")
    if not args.quick:
        save_figure(lambda: plot_accuracy(history.accuracy["train"], history.accuracy["test"],
                                          f"{title} ({images.name})"),
                    figure + ("_book" if args.convention == "book" else ""), args)
    trained_on = len(images.train[0]) if train_images is None else min(train_images, len(images.train[0]))
    record_result(f"{name} ({args.convention})",
                  f"test {test_accuracy:.4f} after {epochs} epochs on {trained_on} images, "
                  f"{per_epoch:.0f} s/epoch ({machine_load()})", book, images.label, args)
    return {"history": history, "test_accuracy": test_accuracy, "seconds_per_epoch": per_epoch,
            "checkpoint": str(checkpoint), "images": images}


def seconds_per_epoch(history: History) -> float:
    """Mean training time of the full epochs (the book's first evaluation follows a single step)."""
    full = [seconds for seconds, step in zip(history.epoch_seconds, history.steps) if step > 1]
    return sum(full) / max(len(full), 1)


def machine_load() -> str:
    """The 1-minute load average and the core count: what a time per epoch was measured under."""
    return f"load {os.getloadavg()[0]:.0f} on {os.cpu_count()} cores"


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"default {EPOCHS}, the book's")
    parser.add_argument("--train-images", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--checkpoint", default=str(CHECKPOINT), help="where the trained weights go")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, add_flags)
    tg.manual_seed(args.seed)
    images = load_images(args, flatten=False)
    epochs, train_images = (2, 200) if args.quick else (args.epochs, args.train_images)
    model = simple_conv_net().to(numpy_dtype(args.convention))
    print(model)
    return run_training_experiment(model, "ch7 SimpleConvNet", "ch7_simple_convnet",
                                   "SimpleConvNet, Adam lr 0.001, batch 100", BOOK, images, epochs, train_images, args)


if __name__ == "__main__":
    main()
