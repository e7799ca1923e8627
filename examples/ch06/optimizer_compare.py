"""Chapter 6.1.7: SGD, Momentum, AdaGrad and Adam training the same net on the same minibatches.

Four copies of the book's MultiLayerNet (784-100-100-100-100-10, ReLU, He init, zero biases)
train for 2000 iterations on minibatches of 128 images; every iteration, all four see the same
batch. Each step is the PyTorch loop `zero_grad(); loss_fn(model(x), t).backward(); step()`, and
the loss recorded is that minibatch's loss before the update. The book's learning rates: SGD 0.01,
Momentum 0.01 (0.9), AdaGrad 0.01, Adam 0.001. The book's finding: SGD is slowest, the other three
are close, AdaGrad slightly fastest. Figure: the book's smoothed loss curves
(docs/results/ch6_optimizer_compare.png).

--convention book: optim.Momentum / optim.AdaGrad / optim.Adam(eps=1e-7, convention="book"), minibatches
drawn with replacement, float64. --convention pytorch (default): optim.SGD(momentum=0.9),
optim.Adagrad, optim.Adam, a shuffled DataLoader, float32.

    python examples/ch06/optimizer_compare.py [--convention book|pytorch] [--quick] [--dataset ...]
"""
from __future__ import annotations

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
LEARNING_RATES = {"SGD": 0.01, "Momentum": 0.01, "AdaGrad": 0.01, "Adam": 0.001}
BOOK_LOSS = {"SGD": (1.48, 0.150), "Momentum": (0.42, 0.050), "AdaGrad": (0.19, 0.016), "Adam": (0.34, 0.032)}


def make_optimizer(name: str, params, convention: str) -> optim.Optimizer:
    lr = LEARNING_RATES[name]
    if name == "SGD":
        return optim.SGD(params, lr=lr)
    if name == "Momentum":
        return optim.Momentum(params, lr=lr, momentum=0.9) if convention == "book" else optim.SGD(params, lr=lr,
                                                                                                 momentum=0.9)
    if name == "AdaGrad":
        return optim.AdaGrad(params, lr=lr) if convention == "book" else optim.Adagrad(params, lr=lr)
    if convention == "book":  # eps added to the root of the uncorrected v, and the book's eps
        return optim.Adam(params, lr=lr, eps=1e-7, convention="book")
    return optim.Adam(params, lr=lr)


def plot(losses: dict[str, list[float]], label: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    markers = {"SGD": "o", "Momentum": "x", "AdaGrad": "s", "Adam": "D"}
    for name, values in losses.items():
        ax.plot(smooth_curve(values), marker=markers[name], markevery=100, label=name)
    ax.set(xlabel="iterations", ylabel="loss (smoothed)", ylim=(0, 1), title=f"784-100x4-10 ReLU, batch 128: {label}")
    ax.legend()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    images = load_images(args)
    x_train, t_train = images.train
    dtype = numpy_dtype(args.convention)
    x_train = x_train.astype(dtype, copy=False)
    iterations = 60 if args.quick else ITERATIONS
    print(f"{args.convention} convention, {iterations} iterations of batch {BATCH_SIZE}")

    models = {name: mlp(SIZES, init="he", dtype=dtype) for name in LEARNING_RATES}
    learners = [Learner(model, make_optimizer(name, model.parameters(), args.convention), name)
                for name, model in models.items()]
    start = time.perf_counter()
    train(learners, minibatches(x_train, t_train, BATCH_SIZE, args.convention),
          Schedule(iterations, max(len(x_train) // BATCH_SIZE, 1)), progress=not args.quick)
    losses = {learner.name: learner.history.loss for learner in learners}
    report_at = [i for i in (100, 1900) if i < iterations] or [iterations - 1]
    results = {name: {f"smoothed_loss_{i}": float(smooth_curve(values)[i]) for i in report_at}
               for name, values in losses.items()}
    for name, values in losses.items():
        results[name]["first_loss"] = values[0]
        results[name]["last_loss"] = values[-1]
    print(f"smoothed loss at iteration {report_at}  (book: raw minibatch loss at 100 / 1900)")
    for name in models:
        ours = " / ".join(f"{results[name][f'smoothed_loss_{i}']:.3f}" for i in report_at)
        print(f"  {name:9s} {ours}   book {BOOK_LOSS[name][0]} / {BOOK_LOSS[name][1]}")
    print(f"{time.perf_counter() - start:.1f} s")
    if not args.quick:
        name = "ch6_optimizer_compare" + ("_book" if args.convention == "book" else "")
        save_figure(lambda: plot(losses, f"{images.name}, {args.convention} convention"), name, args)
    last = report_at[-1]
    ours = ", ".join(f"{n} {r[f'smoothed_loss_{last}']:.3f}" for n, r in results.items())
    record_result(f"ch6 optimizer compare ({args.convention})", f"{ours} (smoothed, iter {last})",
                  "loss at iter 1900: SGD 0.150, Momentum 0.050, AdaGrad 0.016, Adam 0.032 (MNIST)", images.label, args)
    return results


if __name__ == "__main__":
    main()
