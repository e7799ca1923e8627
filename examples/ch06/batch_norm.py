"""Chapter 6.3.2: Batch Normalization makes training insensitive to the initial weight scale.

For each of 16 weight scales std = logspace(0, -4, 16), two copies of the book's
MultiLayerNetExtend (784-100x5-10, ReLU, W ~ N(0, std^2), zero biases), one with BatchNorm after
every hidden Linear, train side by side on the same minibatches: SGD lr 0.01, batch 100, the
first 1000 training images, 20 "epochs" of 10 iterations, training accuracy (eval mode) after
each. The book's finding: with BatchNorm the net learns at almost every scale, without it bad
scales do not learn at all. Figure: the book's 4 x 4 grid of accuracy curves
(docs/results/ch6_batch_norm.png).

Overflow is reported, never hidden: at the largest scales the net without BatchNorm produces
activations of ~1e6 and its SGD steps blow up. As soon as a loss or weight stops being finite,
that net stops training and the run prints "overflow at step k"; its later accuracies are
None, not NaN. (The book's notebook prints 0.097 there: argmax of all-NaN scores is class 0.)

--convention book: BatchNorm as the book's layer (running_var starting at 0, biased variance,
momentum 0.9, eps 1e-6), batches with replacement, float64. pytorch (default): nn.BatchNorm1d,
a shuffled DataLoader, float32.

    python examples/ch06/batch_norm.py [--convention book|pytorch] [--quick] [--dataset ...]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import load_images, parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402
from common.nets import mlp, numpy_dtype  # noqa: E402
from common.training import History, Learner, Schedule, minibatches, train  # noqa: E402

SIZES = [784, *[100] * 5, 10]
TRAIN_IMAGES = 1000
BATCH_SIZE = 100
EPOCHS = 20
LEARNING_RATE = 0.01
SCALES = np.logspace(0, -4, num=16)
QUICK_SCALES = SCALES[[0, 5, 11]]  # 1.0 (overflows without BN), 0.046, 0.0012
# Final training accuracy (without BN, with BN) recorded in the book's notebook, per scale.
BOOK_FINAL = [(.097, .419), (.097, .498), (.979, .630), (.823, .763), (.235, .890), (.116, .950), (.116, .990),
              (.116, 1.0), (.116, 1.0), (.117, .998), (.116, .999), (.117, .831), (.116, .804), (.116, .595),
              (.117, .618), (.116, .523)]
NAMES = ("BatchNorm", "no BatchNorm")


def train_pair(scale: float, x_train: np.ndarray, t_train: np.ndarray, epochs: int, convention: str,
               dtype: np.dtype) -> dict[str, History]:
    """Train the BN and the plain net on the same batches; their accuracy per epoch and any overflow."""
    models = {"BatchNorm": mlp(SIZES, init=scale, batch_norm=True, convention=convention, dtype=dtype),
              "no BatchNorm": mlp(SIZES, init=scale, convention=convention, dtype=dtype)}
    learners = [Learner(model, optim.SGD(model.parameters(), lr=LEARNING_RATE), name) for name, model in models.items()]
    train(learners, minibatches(x_train, t_train, BATCH_SIZE, convention),
          Schedule.epochs(epochs, TRAIN_IMAGES // BATCH_SIZE, convention), {"train": (x_train, t_train)},
          overflow="stop", log_every=0, progress=False)
    return {learner.name: learner.history for learner in learners}


def describe(history: History) -> str:
    if history.overflow_at is not None:
        return f"overflow at step {history.overflow_at}"
    return f"{history.accuracy['train'][-1]:.3f}"


def plot(scales, results: list[dict[str, dict]], epochs: int, label: str):
    import matplotlib.pyplot as plt

    columns = 4
    rows = int(np.ceil(len(scales) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(13, 2.6 * rows + 0.6), sharex=True, sharey=True, squeeze=False)
    for ax, scale, runs in zip(axes.flat, scales, results):
        for name, style in zip(NAMES, ("-", "--")):
            accuracy = [np.nan if a is None else a for a in runs[name].accuracy["train"]]
            ax.plot(range(len(accuracy)), accuracy, style, label=name)
            if runs[name].overflow_at is not None:
                ax.text(0.5, 0.05, f"{name}: overflow", transform=ax.transAxes, ha="center", fontsize=8, color="C3")
        ax.set(title=f"W: {scale:.2g}", ylim=(0, 1.0), xlim=(0, epochs - 1))
    for ax in axes.flat[len(scales):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy")
    for ax in axes[-1, :]:
        ax.set_xlabel("epochs")
    axes.flat[len(scales) - 1].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Training accuracy with and without BatchNorm, 784-100x5-10, first 1000 images of {label}",
                 fontsize=10)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    images = load_images(args)
    x_all, t_all = images.train
    dtype = numpy_dtype(args.convention)
    x_train, t_train = x_all[:TRAIN_IMAGES].astype(dtype), t_all[:TRAIN_IMAGES]
    scales = QUICK_SCALES if args.quick else SCALES
    epochs = 4 if args.quick else EPOCHS
    print(f"{args.convention} convention, {len(scales)} weight scales, {epochs} epochs of "
          f"{TRAIN_IMAGES // BATCH_SIZE} iterations")
    start = time.perf_counter()
    results = []
    for scale in scales:
        runs = train_pair(float(scale), x_train, t_train, epochs, args.convention, dtype)
        results.append(runs)
        book = BOOK_FINAL[int(np.argmin(np.abs(SCALES - scale)))]
        print(f"  W std {scale:8.2g}: BatchNorm {describe(runs['BatchNorm']):>28s}   "
              f"no BatchNorm {describe(runs['no BatchNorm']):>28s}   book {book[1]:.3f} / {book[0]:.3f}")
    print(f"{time.perf_counter() - start:.1f} s")
    if not args.quick:
        name = "ch6_batch_norm" + ("_book" if args.convention == "book" else "")
        save_figure(lambda: plot(scales, results, epochs, f"{images.name}, {args.convention} convention"), name,
                    args)

    def final(run: History) -> float:
        return -1.0 if run.overflow_at is not None else run.accuracy["train"][-1]

    bn_wins = sum(final(r["BatchNorm"]) > final(r["no BatchNorm"]) for r in results)
    overflows = sum(r["no BatchNorm"].overflow_at is not None for r in results)
    record_result(f"ch6 BatchNorm vs none ({args.convention})",
                  f"BN ahead at {bn_wins}/{len(scales)} scales; no-BN overflows at {overflows}; "
                  f"BN final acc {min(final(r['BatchNorm']) for r in results):.2f}-"
                  f"{max(final(r['BatchNorm']) for r in results):.2f}",
                  "BN ahead at 14/16 scales; BN final acc 0.42-1.0 (no-BN .097 = NaN at std 1, .54)",
                  images.label, args)
    return {"scales": [float(s) for s in scales], "runs": results, "bn_wins": bn_wins}


if __name__ == "__main__":
    main()
