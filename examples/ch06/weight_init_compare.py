"""Chapter 6.2.4: the initial weight scale decides whether a deep ReLU net learns at all.

Three copies of the book's MultiLayerNet (784-100-100-100-100-10, ReLU everywhere) differ only in
their initial weights, W ~ N(0, std^2) with std 0.01, the book's "Xavier" sqrt(1/n) (LeCun-style,
not Glorot's) or He sqrt(2/n); each trains with SGD lr 0.01 on the same 2000 minibatches of 128.
The book's finding: std 0.01 does not learn (the loss stays at ln 10 = 2.303, since the signal
shrinks ~14x per layer and the gradients vanish), He learns fastest, Xavier next.
Figure: docs/results/ch6_weight_init_compare.png (smoothed loss curves).

With nn.init the three are `normal_(w, 0, 0.01)`, `kaiming_normal_(w, nonlinearity="linear")`
(= sqrt(1/n)) and `kaiming_normal_(w, nonlinearity="relu")` (= sqrt(2/n)).
--convention book draws the minibatches with replacement and trains in float64.

    python examples/ch06/weight_init_compare.py [--convention book|pytorch] [--quick] [--dataset ...]
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import load_images, parse_args, record_result  # noqa: E402
from common.figures import save_figure, smooth_curve  # noqa: E402
from common.nets import mlp, numpy_dtype  # noqa: E402
from common.training import Learner, Schedule, minibatches, train  # noqa: E402

SIZES = [784, 100, 100, 100, 100, 10]
BATCH_SIZE = 128
ITERATIONS = 2000
INITS = {"std=0.01": 0.01, "Xavier": "xavier", "He": "he"}
BOOK_LOSS_1900 = {"std=0.01": 2.305, "Xavier": 0.377, "He": 0.286}


def plot(losses: dict[str, list[float]], label: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for (name, values), marker in zip(losses.items(), "osD"):
        ax.plot(smooth_curve(values), marker=marker, markevery=100, label=name)
    ax.axhline(math.log(10), color="gray", linewidth=0.8, linestyle=":")
    ax.set(xlabel="iterations", ylabel="loss (smoothed)", ylim=(0, 2.5),
           title=f"784-100x4-10 ReLU, SGD lr 0.01: {label}")
    ax.legend()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    images = load_images(args)
    x_train, t_train = images.train
    dtype = numpy_dtype(args.convention)
    x_train = x_train.astype(dtype, copy=False)
    iterations = 80 if args.quick else ITERATIONS
    print(f"{args.convention} convention, {iterations} iterations of batch {BATCH_SIZE}")

    models = {name: mlp(SIZES, init=init, dtype=dtype) for name, init in INITS.items()}
    learners = [Learner(model, optim.SGD(model.parameters(), lr=0.01), name) for name, model in models.items()]
    start = time.perf_counter()
    train(learners, minibatches(x_train, t_train, BATCH_SIZE, args.convention),
          Schedule(iterations, max(len(x_train) // BATCH_SIZE, 1)), progress=not args.quick)
    losses = {learner.name: learner.history.loss for learner in learners}
    at = min(1900, iterations - 1)
    results = {name: {"smoothed_loss": float(smooth_curve(values)[at]), "first_loss": values[0],
                      "last_loss": values[-1]} for name, values in losses.items()}
    print(f"smoothed loss at iteration {at} (book: raw minibatch loss at 1900), {time.perf_counter() - start:.1f} s")
    for name, result in results.items():
        print(f"  {name:9s} {result['smoothed_loss']:.3f}   book {BOOK_LOSS_1900[name]}")
    if not args.quick:
        name = "ch6_weight_init_compare" + ("_book" if args.convention == "book" else "")
        save_figure(lambda: plot(losses, f"{images.name}, {args.convention} convention"), name, args)
    record_result(f"ch6 weight init compare ({args.convention})",
                  " / ".join(f"{r['smoothed_loss']:.3f}" for r in results.values()) + f" (smoothed, iter {at})",
                  "loss at iter 1900: 2.305 / 0.377 / 0.286 (0.01 / Xavier / He, MNIST)", images.label, args)
    return results


if __name__ == "__main__":
    main()
