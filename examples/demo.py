"""`make demo`: the book's chapter-6 network learns real clothing images with a PyTorch-style loop.

The network is the book's MultiLayerNet from chapter 6: 784-100-100-100-100-10, ReLU, He
initialisation (weights N(0, 2/fan_in), zero biases), trained with Adam (lr 0.001, annealed to 0
over the run by CosineAnnealingLR, so the final weights settle instead of jittering from epoch
to epoch) on minibatches of 128 from a shuffled DataLoader, with the examples' one training loop
(common/training.py: train), which is this PyTorch loop:

    for epoch in range(epochs):
        for x, t in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), t)
            loss.backward()
            optimizer.step()
        scheduler.step()

Data: load_mnist(dataset="auto"): the full Fashion-MNIST (60 000 + 10 000 images) when its files
are found (apt-get install dataset-fashion-mnist, or --data-dir), else the 5 000 + 1 000 image
subset shipped inside the package; the first line of output says which. Each epoch prints train
and test accuracy (a progress bar with loss and accuracy runs on a terminal). At the end the
weights go to runs/demo/model.npz (tinygrad_edu.save; reload with tinygrad_edu.load and
model.load_state_dict) and the loss and accuracy curves to runs/demo/demo.png.
Takes about a minute on 2 CPU cores. See docs/chapter6.md for the experiments behind it.

    python examples/demo.py [--epochs N] [--dataset auto|fashion-mnist|mnist|embedded] [--quick]
"""
from __future__ import annotations

import os

# One BLAS thread: minibatch matrices are small, and on a busy 2-core machine OpenBLAS's second
# thread spins instead of helping (10-20x slower steps measured). Set before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import ROOT, load_images, parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402
from common.nets import mlp  # noqa: E402
from common.training import History, Learner, Schedule, minibatches, train  # noqa: E402

SIZES = [784, 100, 100, 100, 100, 10]
BATCH_SIZE = 128
LEARNING_RATE = 0.001
# Under a minute either way on 2 cores: the full set has 469 batches an epoch, the embedded subset 40.
EPOCHS = {"full": 15, "embedded": 60}


def chapter6_net() -> nn.Sequential:
    """The book's MultiLayerNet: (Linear -> ReLU) per hidden layer, then Linear; He init, zero biases."""
    return mlp(SIZES, "relu", init="he")  # W ~ N(0, 2 / fan_in): nn.init.kaiming_normal_(w, nonlinearity="relu")


def add_flags(parser) -> None:
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"default: {EPOCHS['full']} on the full data set, {EPOCHS['embedded']} on the subset")
    parser.add_argument("--checkpoint", default=str(ROOT / "runs" / "demo" / "model.npz"),
                        help="where the trained weights go")
    parser.set_defaults(out_dir=str(ROOT / "runs" / "demo"))


def plot(history: History, batches_per_epoch: int, data_name: str):
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    steps = np.arange(1, len(history.loss) + 1) / batches_per_epoch
    left.plot(steps, history.loss, linewidth=0.5, alpha=0.5, label="minibatch loss")
    window = max(batches_per_epoch // 4, 1)
    if len(history.loss) > window:
        smooth = np.convolve(history.loss, np.ones(window) / window, mode="valid")
        left.plot(steps[window - 1:], smooth, label=f"mean of {window} batches")
    left.set(xlabel="epoch", ylabel="cross-entropy loss", title="training loss")
    left.legend()
    epochs = np.arange(1, len(history.accuracy["train"]) + 1)
    right.plot(epochs, history.accuracy["train"], "o-", label="train")
    right.plot(epochs, history.accuracy["test"], "s--", label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    right.legend(loc="lower right")
    fig.suptitle(f"784-100x4-10 ReLU, He init, Adam lr 0.001 (cosine), batch 128 | {data_name}",
                 fontsize=9)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, add_flags, conventions=False)
    tg.manual_seed(args.seed)
    images = load_images(args)
    (x_train, t_train), (x_test, t_test) = images.train, images.test
    epochs = args.epochs or (1 if args.quick else EPOCHS["embedded" if images.dataset == "embedded" else "full"])
    if args.quick:  # a couple of seconds: a slice of the images, one epoch
        x_train, t_train = x_train[:1000], t_train[:1000]
    model = chapter6_net()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    per_epoch = math.ceil(len(x_train) / BATCH_SIZE)  # the last batch of an epoch may be smaller
    print(f"model: {model}\noptimizer: Adam lr {LEARNING_RATE}, cosine annealing; {len(x_train)} training images, "
          f"batch {BATCH_SIZE}, {epochs} epochs")
    started = time.perf_counter()
    learner = Learner(model, optimizer, scheduler=scheduler)
    train([learner], minibatches(x_train, t_train, BATCH_SIZE, "pytorch"), Schedule(epochs * per_epoch, per_epoch),
          {"train": (x_train, t_train), "test": (x_test, t_test)}, progress=not args.quick)
    history = learner.history
    seconds = time.perf_counter() - started
    print(f"trained in {seconds:.1f} s: final train accuracy {history.accuracy['train'][-1]:.4f}, "
          f"test accuracy {history.accuracy['test'][-1]:.4f}")
    checkpoint = Path(args.checkpoint)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    tg.save(model.state_dict(), checkpoint)
    print(f"checkpoint: {checkpoint} (tinygrad_edu.load it and model.load_state_dict)")
    save_figure(lambda: plot(history, per_epoch, images.name), "demo", args)
    record_result("demo: ch6 net 784-100x4-10 ReLU He, Adam + cosine",
                  f"test {history.accuracy['test'][-1]:.4f} / train {history.accuracy['train'][-1]:.4f} "
                  f"after {epochs} epochs", "(no book run with Adam on this net; see ch6 optimizer compare)",
                  images.label, args)
    return {"history": history, "images": images, "checkpoint": str(checkpoint), "epochs": epochs}


if __name__ == "__main__":
    main()
