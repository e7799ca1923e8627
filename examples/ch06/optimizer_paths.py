"""Chapter 6.1: the paths of SGD, Momentum, AdaGrad, RMSProp and Adam on f(x, y) = x^2/20 + y^2.

The bowl is 20 times steeper in y than in x, so plain SGD zig-zags in y while it crawls in x.
Each optimizer starts at (-7, 2) and takes 30 updates with the book's learning rates (SGD 0.95,
Momentum 0.1, AdaGrad 1.5, Adam 0.3; RMSProp, which the book does not plot, 0.1). The two
coordinates are scalar Tensors with requires_grad, f is built from Tensor ops, and every update
is the PyTorch loop `zero_grad(); f(x, y).backward(); step()`.

--convention book uses the book's update rules (optim.Momentum, optim.AdaGrad, optim.RMSProp,
optim.Adam(eps=1e-7, convention="book")): the final points then equal the book's to rounding. The default
--convention pytorch uses optim.SGD(momentum=0.9), optim.Adagrad, optim.RMSprop and optim.Adam,
whose formulas differ slightly (see docs/chapter6.md). Figure: docs/results/ch6_optimizer_paths.png.

    python examples/ch06/optimizer_paths.py [--convention book|pytorch] [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402

START = (-7.0, 2.0)
UPDATES = 30
LEARNING_RATES = {"SGD": 0.95, "Momentum": 0.1, "AdaGrad": 1.5, "RMSProp": 0.1, "Adam": 0.3}
# Final points after 30 updates, recomputed from the book's formulas (BOOK.md, ch6 naive compare).
BOOK_FINAL_POINTS = {"SGD": (-0.350, 0.085), "Momentum": (0.896, 0.088), "AdaGrad": (-0.120, 0.0),
                     "Adam": (0.136, 0.318)}


def f(x, y):
    """The book's bowl; works on Tensors (for backward) and on NumPy arrays (for the contours)."""
    return x ** 2 / 20.0 + y ** 2


def make_optimizer(name: str, params: list, convention: str) -> optim.Optimizer:
    lr = LEARNING_RATES[name]
    if name == "SGD":
        return optim.SGD(params, lr=lr)
    if convention == "book":
        book_forms: dict[str, Callable] = {"Momentum": lambda: optim.Momentum(params, lr=lr, momentum=0.9),
                                           "AdaGrad": lambda: optim.AdaGrad(params, lr=lr),
                                           "RMSProp": lambda: optim.RMSProp(params, lr=lr, decay_rate=0.99),
                                           "Adam": lambda: optim.Adam(params, lr=lr, eps=1e-7, convention="book")}
        return book_forms[name]()
    torch_forms: dict[str, Callable] = {"Momentum": lambda: optim.SGD(params, lr=lr, momentum=0.9),
                                        "AdaGrad": lambda: optim.Adagrad(params, lr=lr),
                                        "RMSProp": lambda: optim.RMSprop(params, lr=lr),
                                        "Adam": lambda: optim.Adam(params, lr=lr)}
    return torch_forms[name]()


def path(name: str, convention: str, updates: int = UPDATES) -> np.ndarray:
    """The points visited: the start, then the position after each update, shape (updates + 1, 2)."""
    x = tg.tensor(START[0], dtype=np.float64, requires_grad=True)
    y = tg.tensor(START[1], dtype=np.float64, requires_grad=True)
    optimizer = make_optimizer(name, [x, y], convention)
    points = [(x.item(), y.item())]
    for _ in range(updates):
        optimizer.zero_grad()
        f(x, y).backward()  # x.grad = x / 10, y.grad = 2 y
        optimizer.step()
        points.append((x.item(), y.item()))
    return np.array(points)


def plot(paths: dict[str, np.ndarray], convention: str):
    """The book's contour panels, one per optimizer, plus f against the update count."""
    import matplotlib.pyplot as plt

    grid_x, grid_y = np.meshgrid(np.arange(-10, 10, 0.05), np.arange(-5, 5, 0.05))
    values = f(grid_x, grid_y)
    values[values > 7] = 0  # the book's trick: drop the outer rings so the contours stay simple
    fig, axes = plt.subplots(2, 3, figsize=(13, 8))
    for ax, (name, points) in zip(axes.flat, paths.items()):
        ax.contour(grid_x, grid_y, values)
        ax.plot(points[:, 0], points[:, 1], "o-", color="red", markersize=3)
        ax.plot(0, 0, "+", color="black")
        ax.set(xlim=(-10, 10), ylim=(-10, 10), xlabel="x", ylabel="y",
               title=f"{name} (lr {LEARNING_RATES[name]}): ({points[-1, 0]:.3f}, {points[-1, 1]:.3f})")
    last = axes.flat[len(paths)]
    for name, points in paths.items():
        last.semilogy(f(points[:, 0], points[:, 1]), label=name)
    last.set(xlabel="update", ylabel="f(x, y)", title="f along each path")
    last.legend()
    fig.suptitle(f"x^2/20 + y^2 from (-7, 2), {UPDATES} updates, {convention} convention")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, images=False)
    paths = {name: path(name, args.convention) for name in LEARNING_RATES}
    results = {}
    print(f"final point after {UPDATES} updates ({args.convention} convention)")
    for name, points in paths.items():
        final = points[-1]
        results[name] = {"x": float(final[0]), "y": float(final[1]), "f": float(f(final[0], final[1]))}
        book = BOOK_FINAL_POINTS.get(name)
        book_text = f"   book ({book[0]:.3f}, {book[1]:.3f})" if book else "   (not in the book's figure)"
        print(f"  {name:9s} ({final[0]: .6f}, {final[1]: .6f})  f = {results[name]['f']:.4g}{book_text}")
    if not args.quick:
        name = "ch6_optimizer_paths" + ("_book" if args.convention == "book" else "")
        save_figure(lambda: plot(paths, args.convention), name, args)
    ours = ", ".join(f"{name} ({r['x']:.3f}, {r['y']:.3f})" for name, r in results.items() if name in BOOK_FINAL_POINTS)
    book = ", ".join(f"{name} ({x:.3f}, {y:.3f})" for name, (x, y) in BOOK_FINAL_POINTS.items())
    record_result(f"ch6 optimizer paths ({args.convention})", ours, book, "f(x, y) = x^2/20 + y^2 (no data)", args)
    return results


if __name__ == "__main__":
    main()
