"""Chapter 7.4: im2col on a tiny array: a convolution is one matrix product, pooling a max per row.

The book's im2col(input_data, filter_h, filter_w, stride, pad) gathers every filter-sized patch
of an (N, C, H, W) input into one row; a convolution is then that matrix times the (C*FH*FW, FN)
filter matrix, and col2im adds the rows back to their places (the adjoint: overlapping patches
add up). PyTorch's names are F.unfold (patches as columns: (N, C*FH*FW, L), the book's matrix
transposed per image) and F.fold. This example shows it on the book's own 4x4 input and 3x3
filter (figure 7-3: the result is [[15, 16], [6, 15]], plus the bias 3 in figure 7-5): the 4
patches, the product, F.conv2d's answer, fold(unfold(x)) counting how often each pixel was used;
the book's shapes for 7x7 inputs with 5x5 filters ((9, 75) and (90, 75)); and the book's 2x2 max
pooling (figure 7-14: [[2, 3], [4, 2]]), whose gradient goes to one element per window. See docs/chapter7.md and
docs/convolution.md.

    python examples/ch07/im2col.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.functional as F  # noqa: E402
from common.experiment import parse_args, record_result  # noqa: E402


def im2col(x: tg.Tensor, kernel: int, stride: int = 1, padding: int = 0) -> tg.Tensor:
    """The book's im2col layout, (N * OH * OW, C * FH * FW), from PyTorch's F.unfold."""
    columns = F.unfold(x, kernel, padding=padding, stride=stride)  # (N, C*FH*FW, OH*OW)
    return columns.transpose(1, 2).reshape(-1, columns.shape[1])


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, images=False, conventions=False)
    x = tg.tensor([[[[1.0, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]]]], dtype=np.float64)
    weight = tg.tensor([[[[2.0, 0, 1], [0, 1, 2], [1, 0, 2]]]], dtype=np.float64)  # figure 7-3's filter
    bias = tg.tensor([3.0], dtype=np.float64)
    print(f"input x (1, 1, 4, 4):\n{x.numpy()[0, 0]}\nfilter W (1, 1, 3, 3):\n{weight.numpy()[0, 0]}")
    columns = im2col(x, 3)
    print(f"im2col(x, 3, 3): every 3x3 patch as a row, shape {tuple(columns.shape)}:\n{columns.numpy()}")
    product = (columns @ weight.reshape(1, -1).T).reshape(1, 2, 2, 1).permute(0, 3, 1, 2)
    direct = F.conv2d(x, weight)
    print(f"im2col(x) @ W.reshape(FN, -1).T, reshaped to (N, FN, OH, OW):\n{product.numpy()[0, 0]}  "
          f"(book: [[15, 16], [6, 15]])")
    print(f"F.conv2d(x, W) gives the same: {np.array_equal(product.numpy(), direct.numpy())}; "
          f"with the bias 3: {F.conv2d(x, weight, bias).numpy()[0, 0].tolist()} (book: [[18, 19], [9, 18]])")
    counts = F.fold(F.unfold(tg.ones_like(x), 3), (4, 4), 3)
    print(f"col2im = F.fold adds the patches back: fold(unfold(ones)) counts each pixel's patches:\n"
          f"{counts.numpy()[0, 0]}")

    shapes = {}
    for batch in (1, 10):  # the book's two examples in 7.4.3
        images = tg.randn(batch, 3, 7, 7)
        shapes[batch] = tuple(im2col(images, 5).shape)
        print(f"im2col(x of shape {tuple(images.shape)}, 5, 5): {shapes[batch]}  (book: ({9 * batch}, 75))")

    pooled_input = tg.tensor([[[[1.0, 2, 1, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 4, 0, 1]]]], dtype=np.float64,
                             requires_grad=True)  # figure 7-14
    pooled = F.max_pool2d(pooled_input, 2)
    pooled.sum().backward()
    print(f"max_pool2d(x, 2) of\n{pooled_input.detach().numpy()[0, 0]}\nis\n{pooled.detach().numpy()[0, 0]}  "
          f"(book: [[2, 3], [4, 2]])\nand its gradient goes to the maximum of each window:\n"
          f"{pooled_input.grad.numpy()[0, 0]}")
    record_result("ch7 im2col, convolution and pooling",
                  f"conv {direct.numpy()[0, 0].astype(int).tolist()} (im2col @ W equal: "
                  f"{np.array_equal(product.numpy(), direct.numpy())}); im2col shapes {shapes[1]}, {shapes[10]}; "
                  f"max pool {pooled.detach().numpy()[0, 0].astype(int).tolist()}",
                  "conv [[15, 16], [6, 15]]; im2col shapes (9, 75), (90, 75); max pool [[2, 3], [4, 2]]",
                  "the book's 4x4 arrays (no data)", args)
    return {"columns": columns.numpy(), "product": product.numpy(), "conv2d": direct.numpy(),
            "counts": counts.numpy(), "shapes": shapes, "pooled": pooled.detach().numpy(),
            "pool_grad": pooled_input.grad.numpy()}


if __name__ == "__main__":
    main()
