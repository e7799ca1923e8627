"""Chapter 4.4: the gradient of f(x0, x1) = x0^2 + x1^2, numerically and by autograd, as a field of arrows.

tinygrad_edu.numerical_gradient perturbs one coordinate at a time by h = 1e-4 (central
differences), as the book's numerical_gradient does; autograd gives the exact (2 x0, 2 x1). At
(3, 4), (0, 2), (3, 0) the book finds (6, 8), (0, 4), (6, 0). The figure (the book's
gradient_2d.py) draws -grad f on the grid -2 ... 2.25 in steps of 0.25: every arrow points to the
minimum at the origin and grows with the distance from it
(docs/results/ch4_gradient_field.png).

    python examples/ch04/gradient_field.py [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
from common.experiment import parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402

POINTS = [(3.0, 4.0), (0.0, 2.0), (3.0, 0.0)]
BOOK = {(3.0, 4.0): (6.0, 8.0), (0.0, 2.0): (0.0, 4.0), (3.0, 0.0): (6.0, 0.0)}


def f(x):
    """The book's function_2 on one point (x0, x1); works on arrays and Tensors."""
    return (x ** 2).sum()


def autograd_gradient(point) -> np.ndarray:
    x = tg.tensor(point, dtype=np.float64, requires_grad=True)
    f(x).backward()
    return x.grad.numpy()


def gradient_grid(step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid coordinates and the numerical gradient at each grid point, shape (2, points)."""
    x0, x1 = np.meshgrid(np.arange(-2, 2.5, step), np.arange(-2, 2.5, step))
    points = np.stack([x0.ravel(), x1.ravel()], axis=1)
    grads = np.array([tg.numerical_gradient(f, p) for p in points]).T
    return x0.ravel(), x1.ravel(), grads


def plot(x0: np.ndarray, x1: np.ndarray, grads: np.ndarray):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.quiver(x0, x1, -grads[0], -grads[1], angles="xy", color="#666666")
    ax.set(xlim=(-2, 2), ylim=(-2, 2), xlabel="x0", ylabel="x1", title="-grad f for f = x0^2 + x1^2")
    ax.grid(True)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, images=False, conventions=False)
    results = {}
    for point in POINTS:
        numerical = tg.numerical_gradient(f, np.array(point))
        exact = autograd_gradient(point)
        results[point] = {"numerical": numerical, "autograd": exact}
        print(f"grad f{point}: numerical {np.array2string(numerical, precision=12)}  "
              f"autograd {exact}  book {BOOK[point]}")
    x0, x1, grads = gradient_grid(0.25)
    # -grad f = -2x: every arrow points at the origin, the property the book's figure shows.
    toward_origin = bool(np.all(np.sum(-grads * np.stack([x0, x1]), axis=0) <= 0))
    results["arrows_point_to_origin"] = toward_origin
    print(f"{x0.size} grid points, every arrow points at the origin: {toward_origin}")
    if not args.quick:
        save_figure(lambda: plot(x0, x1, grads), "ch4_gradient_field", args)
    ours = ", ".join(f"{p}: ({results[p]['numerical'][0]:.6f}, {results[p]['numerical'][1]:.6f})" for p in POINTS)
    record_result("ch4 gradient field", ours, "(6, 8), (0, 4), (6, 0); arrows point to the origin",
                  "f = x0^2 + x1^2 (no data)", args)
    return results


if __name__ == "__main__":
    main()
