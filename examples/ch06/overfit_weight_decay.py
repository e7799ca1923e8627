"""Chapter 6.4.1-6.4.2: overfitting 300 images, and weight decay (L2) as a remedy.

The book's MultiLayerNet (784-100x6-10, ReLU, He init) trains on only the first 300 training
images with SGD lr 0.01, batch 100, for 201 epochs of 3 iterations; train and test accuracy are
measured after each epoch, for lambda = 0 (the book's overfitting figure: train accuracy reaches
~1.0 while test stays far lower) and lambda = 0.1 (the gap narrows and train accuracy no longer
reaches 1.0). Figure: docs/results/ch6_overfit_weight_decay.png.

--convention book: the book's L2, 0.5 * lambda * sum ||W||^2 over the weights only, added to the
loss that is differentiated and reported (so its gradient adds lambda * W); batches drawn with
replacement; float64. pytorch (default): `optim.SGD(..., weight_decay=lambda)`, which adds
lambda * p to the gradient of every parameter (biases too) and leaves the loss value alone; a
shuffled DataLoader; float32.

    python examples/ch06/overfit_weight_decay.py [--convention book|pytorch] [--quick] [--dataset ...]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import load_images, parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402
from common.nets import mlp, numpy_dtype  # noqa: E402
from common.training import Learner, Schedule, minibatches, train  # noqa: E402


SIZES = [784, *[100] * 6, 10]
TRAIN_IMAGES = 300
BATCH_SIZE = 100
EPOCHS = 201
LEARNING_RATE = 0.01
LAMBDAS = (0.0, 0.1)
BOOK = {0.0: "train ~1.0 after ~100 epochs, test far lower", 0.1: "epoch 200: train 0.927, test 0.721"}


def plot(histories: dict[float, dict], label: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(histories), figsize=(6 * len(histories), 4.5), sharey=True, squeeze=False)
    for ax, (weight_decay, history) in zip(axes[0], histories.items()):
        ax.plot(history.accuracy["train"], marker="o", markevery=10, label="train")
        ax.plot(history.accuracy["test"], marker="s", markevery=10, label="test")
        ax.set(xlabel="epochs", ylabel="accuracy", ylim=(0, 1.0), title=f"weight decay lambda = {weight_decay}")
        ax.legend(loc="lower right")
    fig.suptitle(f"784-100x6-10 on 300 images of {label}", fontsize=10)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    images = load_images(args)
    (x_all, t_all), (x_test, t_test) = images.train, images.test
    dtype = numpy_dtype(args.convention)
    train_set = (x_all[:TRAIN_IMAGES].astype(dtype), t_all[:TRAIN_IMAGES])
    test = (x_test[:1000], t_test[:1000]) if args.quick else (x_test, t_test)
    test = (test[0].astype(dtype), test[1])
    epochs = 15 if args.quick else EPOCHS
    print(f"{args.convention} convention, {epochs} epochs of {TRAIN_IMAGES // BATCH_SIZE} iterations, "
          f"test on {len(test[0])} images")
    histories, results = {}, {}
    for weight_decay in LAMBDAS:
        start = time.perf_counter()
        model = mlp(SIZES, init="he", dtype=dtype)
        if args.convention == "book":  # the book's L2 term in the loss
            learner = Learner(model, optim.SGD(model.parameters(), lr=LEARNING_RATE), weight_decay=weight_decay)
        else:
            learner = Learner(model, optim.SGD(model.parameters(), lr=LEARNING_RATE, weight_decay=weight_decay))
        train([learner], minibatches(*train_set, BATCH_SIZE, args.convention),
              Schedule.epochs(epochs, TRAIN_IMAGES // BATCH_SIZE, args.convention),
              {"train": train_set, "test": test}, log_every=20, progress=False)
        history = histories[weight_decay] = learner.history
        results[weight_decay] = {"train": history.accuracy["train"][-1], "test": history.accuracy["test"][-1],
                                 "max_train": max(history.accuracy["train"]), "first_loss": history.loss[0],
                                 "last_loss": history.loss[-1], "seconds": time.perf_counter() - start}
        print(f"  lambda {weight_decay}: final train {results[weight_decay]['train']:.3f}, test "
              f"{results[weight_decay]['test']:.3f} (book: {BOOK[weight_decay]})")
    if not args.quick:
        name = "ch6_overfit_weight_decay" + ("_book" if args.convention == "book" else "")
        save_figure(lambda: plot(histories, f"{images.name}, {args.convention} convention"), name, args)
    record_result(f"ch6 overfitting + weight decay ({args.convention})",
                  "; ".join(f"lambda {wd}: train {r['train']:.3f} test {r['test']:.3f}" for wd, r in results.items()),
                  "lambda 0: train ~1.0, test far lower; lambda 0.1: train 0.927, test 0.721 (MNIST)",
                  images.label, args)
    return results


if __name__ == "__main__":
    main()
