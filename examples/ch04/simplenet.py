"""Chapter 4.4.2: the gradient of the loss of a 2x3 softmax net with respect to its weights.

The book's simpleNet: W ~ N(0, 1) of shape (2, 3), x = [0.6, 0.9], one-hot t = [0, 0, 1],
loss = cross-entropy(softmax(x W), t). dL/dW comes out three ways here: the book's
numerical_gradient (tinygrad_edu.numerical_gradient on W), autograd (loss.backward(); W.grad),
and the closed form outer(x, softmax(x W) - t). The book's recorded dW,
[[0.176, 0.225, -0.401], [0.264, 0.338, -0.601]], came from one unseeded W, so the numbers differ;
the properties hold for every W: each row sums to 0 (softmax - t sums to 0) and row 2 is 1.5 times
row 1 (0.9 / 0.6). In PyTorch terms the net is nn.Linear(2, 3, bias=False), whose weight is
the book's W transposed; W here keeps the book's layout.

    python examples/ch04/simplenet.py [--quick] [--seed N]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.functional as F  # noqa: E402
from common.experiment import parse_args, record_result  # noqa: E402

X = np.array([0.6, 0.9])
T = np.array([0.0, 0.0, 1.0])
BOOK_DW = np.array([[0.176, 0.225, -0.401], [0.264, 0.338, -0.601]])


def loss(weight) -> tg.Tensor:
    """Softmax cross-entropy of x W against the one-hot t (the book's simpleNet.loss)."""
    w = weight if isinstance(weight, tg.Tensor) else tg.tensor(weight)
    return F.cross_entropy(tg.tensor(X) @ w, T)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, images=False, conventions=False)
    tg.manual_seed(args.seed)
    weight = tg.randn(2, 3, dtype=np.float64).requires_grad_()
    numerical = tg.numerical_gradient(loss, weight.detach().numpy())
    loss(weight).backward()
    autograd = weight.grad.numpy()
    scores = X @ weight.detach().numpy()
    closed_form = np.outer(X, np.exp(scores) / np.exp(scores).sum() - T)
    results = {"W": weight.detach().numpy(), "numerical": numerical, "autograd": autograd,
               "closed_form": closed_form, "row_sums": autograd.sum(axis=1),
               "row_ratio": autograd[1] / autograd[0],
               "max_abs_diff_numerical_autograd": float(np.abs(numerical - autograd).max())}
    with np.printoptions(precision=4, suppress=True):
        print(f"W =\n{results['W']}\ndW numerical =\n{numerical}\ndW autograd =\n{autograd}")
        print(f"outer(x, softmax(xW) - t) =\n{closed_form}")
        print(f"max |numerical - autograd| = {results['max_abs_diff_numerical_autograd']:.2e}")
        print(f"row sums {results['row_sums']} (0), row 2 / row 1 = {results['row_ratio']} (1.5)")
        print(f"book's recorded dW (another random W) =\n{BOOK_DW}")
    record_result("ch4 simpleNet dW",
                  f"rows sum to {np.abs(results['row_sums']).max():.0e}, "
                  f"row2/row1 = {results['row_ratio'].mean():.6f}, "
                  f"|numerical - autograd| {results['max_abs_diff_numerical_autograd']:.0e}",
                  "dW = [[0.176, 0.225, -0.401], [0.264, 0.338, -0.601]] (random W): rows sum to 0, row2 = 1.5 row1",
                  "x = [0.6, 0.9], t = [0, 0, 1] (no data)", args)
    return results


if __name__ == "__main__":
    main()
