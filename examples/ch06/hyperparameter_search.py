"""Chapter 6.5: random search over the learning rate and weight decay, judged on validation data.

The book's recipe: take the first 500 training images, shuffle them, hold out 100 as validation
data and train on the other 400 (the test set stays untouched). Each of 100 trials draws
weight decay lambda = 10^U(-8, -4) and learning rate lr = 10^U(-6, -2), trains the book's
MultiLayerNet (784-100x6-10, ReLU, He init) with SGD for 50 epochs of batch 100 (4 iterations
each) and records validation and training accuracy per epoch. Trials are ranked by their final
validation accuracy and the best 20 are shown (docs/results/ch6_hyperparameter_search.png, the
book's 4 x 5 grid: validation solid, training dashed). The book's finding: the good region is
lr ~ 1e-3...1e-2 and lambda ~ 1e-8...1e-6 (recorded best: val 0.84 at lr 0.0094, lambda 2.8e-6);
the next step would be to narrow the ranges and search again.

--convention book: L2 on the weights only, added to the loss; batches with replacement; float64.
pytorch (default): optim.SGD(weight_decay=lambda), a shuffled DataLoader, float32.

    python examples/ch06/hyperparameter_search.py [--trials 100] [--convention book|pytorch] [--quick]
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
from common.training import Learner, Schedule, minibatches, train  # noqa: E402
from tinygrad_edu.random import generator  # noqa: E402

SIZES = [784, *[100] * 6, 10]
IMAGES = 500
VALIDATION = 100
BATCH_SIZE = 100
EPOCHS = 50
SHOWN = 20


def split(x: np.ndarray, t: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The book's split: shuffle the first 500 images, the first 100 validate, the rest train."""
    order = generator().permutation(IMAGES)
    x, t = x[:IMAGES][order], t[:IMAGES][order]
    return (x[VALIDATION:], t[VALIDATION:]), (x[:VALIDATION], t[:VALIDATION])


def trial(lr: float, weight_decay: float, train_set, validation, epochs: int, convention: str, dtype) -> dict:
    model = mlp(SIZES, init="he", dtype=dtype)
    if convention == "book":  # the book's L2 term in the loss
        learner = Learner(model, optim.SGD(model.parameters(), lr=lr), weight_decay=weight_decay)
    else:
        learner = Learner(model, optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay))
    try:
        train([learner], minibatches(*train_set, BATCH_SIZE, convention),
              Schedule.epochs(epochs, len(train_set[0]) // BATCH_SIZE, convention),
              {"validation": validation, "train": train_set}, log_every=0, progress=False)
    except FloatingPointError as error:  # counted as a failed trial, and said so
        print(f"    lr {lr:.2e}, weight decay {weight_decay:.2e}: diverged ({error})")
        return {"lr": lr, "weight_decay": weight_decay, "validation": [], "train": [], "final": -1.0}
    accuracy = learner.history.accuracy
    return {"lr": lr, "weight_decay": weight_decay, "validation": accuracy["validation"], "train": accuracy["train"],
            "final": accuracy["validation"][-1]}


def plot(ranked: list[dict], label: str):
    import matplotlib.pyplot as plt

    columns = 5
    rows = int(np.ceil(len(ranked) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(14, 2.4 * rows + 0.6), sharex=True, sharey=True, squeeze=False)
    for rank, (ax, result) in enumerate(zip(axes.flat, ranked), start=1):
        ax.plot(result["validation"], label="validation")
        ax.plot(result["train"], "--", label="train")
        ax.set(ylim=(0, 1.0), title=f"Best-{rank}: {result['final']:.2f}")
        ax.text(0.03, 0.88, f"lr {result['lr']:.1e}\nwd {result['weight_decay']:.1e}", transform=ax.transAxes,
                fontsize=7, va="top")
    for ax in axes.flat[len(ranked):]:
        ax.axis("off")
    axes.flat[0].legend(loc="lower right", fontsize=7)
    fig.suptitle(f"Random search, best {len(ranked)} trials by final validation accuracy ({label})", fontsize=10)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, extra=lambda parser: parser.add_argument(
        "--trials", type=int, default=None, help="number of random trials (default 100, 6 with --quick)"))
    tg.manual_seed(args.seed)
    images = load_images(args)
    x_all, t_all = images.train
    dtype = numpy_dtype(args.convention)
    train_set, validation = split(x_all.astype(dtype), t_all)
    trials = args.trials or (6 if args.quick else 100)
    epochs = 10 if args.quick else EPOCHS
    print(f"{args.convention} convention: {trials} trials, {epochs} epochs, {len(train_set[0])} train / "
          f"{len(validation[0])} validation images")
    start = time.perf_counter()
    # All draws up front, so the trials are the same whatever the training consumes from the generator.
    weight_decays = 10 ** generator().uniform(-8, -4, size=trials)
    lrs = 10 ** generator().uniform(-6, -2, size=trials)
    results = []
    for number, (lr, weight_decay) in enumerate(zip(lrs.tolist(), weight_decays.tolist())):
        results.append(trial(lr, weight_decay, train_set, validation, epochs, args.convention, dtype))
        print(f"  trial {number + 1:3d}: val acc {results[-1]['final']:.3f} | lr {lr:.2e}, weight decay "
              f"{weight_decay:.2e}")
    ranked = sorted(results, key=lambda r: r["final"], reverse=True)
    print(f"=== best {min(SHOWN, len(ranked))} of {trials} ({time.perf_counter() - start:.1f} s) ===")
    for rank, result in enumerate(ranked[:SHOWN], start=1):
        print(f"  Best-{rank:<2d} (val acc {result['final']:.3f}) | lr {result['lr']:.2e}, weight decay "
              f"{result['weight_decay']:.2e}")
    if not args.quick:
        name = "ch6_hyperparameter_search" + ("_book" if args.convention == "book" else "")
        save_figure(lambda: plot(ranked[:SHOWN], f"{images.name}, {args.convention} convention"), name, args)
    best = ranked[0]
    slow = [r["final"] for r in results if r["lr"] < 1e-3]
    record_result(f"ch6 hyperparameter search ({args.convention})",
                  f"best val {best['final']:.2f} (lr {best['lr']:.4f}, wd {best['weight_decay']:.1e}); "
                  f"best with lr<1e-3: {max(slow) if slow else float('nan'):.2f}",
                  "best val .84 (lr .0094, wd 2.8e-6); best with lr<1e-3: .25 (MNIST)", images.label, args)
    return {"ranked": ranked, "best": best}


if __name__ == "__main__":
    main()
