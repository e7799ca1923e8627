"""Chapter 4.3: the derivative of f(x) = 0.01x^2 + 0.1x by central differences, and by autograd.

The book's numerical_diff, (f(x + h) - f(x - h)) / 2h with h = 1e-4 in float64, is
tinygrad_edu.numerical_gradient. It gives 0.1999999999990898 at x = 5 and 0.2999999999986347 at
x = 10 (true values 0.2 and 0.3: the last digits are rounding error of the subtraction). The same
derivative from autograd (y.backward(); x.grad) is exact up to one rounding. Figure: f and its
tangent at x = 5 (docs/results/ch4_numerical_differentiation.png), the book's gradient_1d.py.

    python examples/ch04/numerical_differentiation.py [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
from common.experiment import parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402

H = 1e-4
BOOK = {5.0: 0.1999999999990898, 10.0: 0.2999999999986347}


def f(x):
    """The book's function_1; works on NumPy arrays, numbers and Tensors alike."""
    return 0.01 * x ** 2 + 0.1 * x


def autograd_derivative(x: float) -> float:
    point = tg.tensor(x, dtype=np.float64, requires_grad=True)
    f(point).backward()
    return float(point.grad.item())


def plot(at: float, slope: float):
    import matplotlib.pyplot as plt

    x = np.arange(0.0, 20.0, 0.1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, f(x), label="f(x) = 0.01x^2 + 0.1x")
    ax.plot(x, slope * (x - at) + f(at), "--", label=f"tangent at x = {at:g} (slope {slope:.6f})")
    ax.set(xlabel="x", ylabel="f(x)", title="Numerical differentiation, h = 1e-4")
    ax.legend()
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, images=False, conventions=False)
    results = {}
    print(f"{'x':>4}  {'numerical (h=1e-4)':>20}  {'book':>20}  {'autograd':>20}")
    for x, book in BOOK.items():
        numerical = float(tg.numerical_gradient(f, np.array(x), eps=H))
        exact = autograd_derivative(x)
        results[x] = {"numerical": numerical, "autograd": exact}
        print(f"{x:4g}  {numerical:20.16f}  {book:20.16f}  {exact:20.16f}")
    if not args.quick:
        save_figure(lambda: plot(5.0, results[5.0]["numerical"]), "ch4_numerical_differentiation", args)
    record_result("ch4 numerical differentiation",
                  f"{results[5.0]['numerical']!r} (x=5), {results[10.0]['numerical']!r} (x=10)",
                  f"{BOOK[5.0]!r}, {BOOK[10.0]!r}", "f(x) = 0.01x^2 + 0.1x (no data)", args)
    return results


if __name__ == "__main__":
    main()
