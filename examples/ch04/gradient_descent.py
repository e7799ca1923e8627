"""Chapter 4.4.1: gradient descent on f = x0^2 + x1^2 from (-3, 4), with numerical and autograd gradients.

The book's gradient_descent repeats x <- x - lr * grad f(x). With the numerical gradient
(tinygrad_edu.numerical_gradient, h = 1e-4) the book's numbers come back exactly: lr 0.1 reaches
(-0.0346, 0.0461) after 20 steps and (-6.11e-10, 8.15e-10) after 100; lr 10 blows up to
(-2.59e13, -1.30e12), where it stalls because f(x + h) - f(x - h) loses every digit at that
scale (the finite difference is 0 or garbage); lr 1e-10 hardly moves: (-2.99999994, 3.99999992).
The autograd run is the PyTorch loop (loss.backward(); step under no_grad()) with the exact
gradient 2x: each step multiplies x by (1 - 2 lr), so it matches the numerical run where h does
not matter and keeps diverging (to ~1e128) for lr 10. Figure: the 20-step path
(docs/results/ch4_gradient_descent.png), the book's gradient_method.py.

    python examples/ch04/gradient_descent.py [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
from common.experiment import parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402

START = (-3.0, 4.0)
RUNS = {"lr 0.1, 20 steps": (0.1, 20), "lr 0.1, 100 steps": (0.1, 100), "lr 10, 100 steps": (10.0, 100),
        "lr 1e-10, 100 steps": (1e-10, 100)}
BOOK = {"lr 0.1, 20 steps": (-0.0346, 0.0461), "lr 0.1, 100 steps": (-6.11e-10, 8.15e-10),
        "lr 10, 100 steps": (-2.59e13, -1.30e12), "lr 1e-10, 100 steps": (-2.99999994, 3.99999992)}


def f(x):
    """The book's function_2: works on NumPy arrays and Tensors."""
    return (x ** 2).sum()


def descend_numerically(lr: float, steps: int) -> np.ndarray:
    """The book's gradient_descent with its numerical gradient; returns the path, shape (steps + 1, 2)."""
    x = np.array(START)
    path = [x.copy()]
    for _ in range(steps):
        x = x - lr * tg.numerical_gradient(f, x)
        path.append(x.copy())
    return np.array(path)


def descend_with_autograd(lr: float, steps: int) -> np.ndarray:
    """The same descent written as a PyTorch loop: forward, backward, update in place under no_grad()."""
    x = tg.tensor(START, dtype=np.float64, requires_grad=True)
    path = [x.detach().numpy().copy()]
    for _ in range(steps):
        x.grad = None
        f(x).backward()
        with tg.no_grad():
            x.sub_(x.grad, alpha=lr)
        path.append(x.detach().numpy().copy())
    return np.array(path)


def point(name: str, xy) -> str:
    digits = 9 if name.startswith("lr 1e-10") else 3  # that run moves only in the 8th digit
    return f"({xy[0]:.{digits}g}, {xy[1]:.{digits}g})"


def plot(numerical: np.ndarray, autograd: np.ndarray):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([-5, 5], [0, 0], "--b")
    ax.plot([0, 0], [-5, 5], "--b")
    ax.plot(numerical[:, 0], numerical[:, 1], "o", label="numerical gradient")
    ax.plot(autograd[:, 0], autograd[:, 1], "x", color="red", label="autograd")
    ax.set(xlim=(-3.5, 3.5), ylim=(-4.5, 4.5), xlabel="X0", ylabel="X1",
           title="gradient descent from (-3, 4), lr 0.1, 20 steps")
    ax.legend()
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, images=False, conventions=False)
    results = {}
    paths = {}
    with np.errstate(over="ignore", invalid="ignore"):  # lr 10 is meant to blow up
        for name, (lr, steps) in RUNS.items():
            numerical, autograd = descend_numerically(lr, steps), descend_with_autograd(lr, steps)
            paths[name] = (numerical, autograd)
            results[name] = {"numerical": numerical[-1], "autograd": autograd[-1]}
            print(f"{name:20s} numerical ({numerical[-1][0]:.9g}, {numerical[-1][1]:.9g})  "
                  f"autograd ({autograd[-1][0]:.9g}, {autograd[-1][1]:.9g})  book {BOOK[name]}")
    if not args.quick:
        save_figure(lambda: plot(*paths["lr 0.1, 20 steps"]), "ch4_gradient_descent", args)
    ours = "; ".join(f"{name}: {point(name, r['numerical'])}" for name, r in results.items())
    book = "; ".join(f"{name}: {point(name, xy)}" for name, xy in BOOK.items())
    record_result("ch4 gradient descent", ours, book, "f = x0^2 + x1^2 (no data)", args)
    return results


if __name__ == "__main__":
    main()
