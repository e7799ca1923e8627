"""Max pooling, the one pooling primitive (average pooling is a sum over unfold's windows).

Layer L2. The forward reads the windows as a strided view (conv.windows) and keeps, for each
window, the offset of its maximum: the first one in row-major order, or the last NaN (PyTorch's
CPU rule). The backward routes each output gradient to that one element (also on ties, as
PyTorch and the book's Pooling layer do): a one-hot column per window, added back with fold.
When the windows tile the input (stride = kernel, no padding or dilation) the one-hot columns
are reshaped straight into the input's layout instead. See docs/convolution.md.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Context, Function
from .conv import Fold, Pair, pad_spatial, windows


def window_argmax(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of every window (N, C, OH, OW) and its offset i kw + j inside the window."""
    view = windows(pad_spatial(x, padding, -np.inf), kernel, stride, dilation)
    best = view[:, :, 0, 0].copy()
    offset = np.zeros(best.shape, dtype=np.int64)
    for i in range(kernel[0]):  # a loop over the kernel's offsets, each step on whole arrays
        for j in range(kernel[1]):
            if i == j == 0:
                continue
            candidate = view[:, :, i, j]
            better = (candidate > best) | np.isnan(candidate)
            np.copyto(best, candidate, where=better)
            offset[better] = i * kernel[1] + j
    return best, offset


def tiles(shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> bool:
    """True when the windows cover the input exactly, side by side (stride = kernel, nothing left over)."""
    return (stride == kernel and padding == (0, 0) and dilation == (1, 1)
            and shape[-2] % kernel[0] == 0 and shape[-1] % kernel[1] == 0)


class MaxPool2d(Function):
    """d maxpool(x)/dx = 1 at the (first) maximum of each window, 0 elsewhere"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> np.ndarray:
        out, ctx.offset = window_argmax(x, kernel, stride, padding, dilation)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, kernel, stride, padding, dilation = ctx.inputs
        n, c, oh, ow = grad_out.shape
        kh, kw = kernel
        if tiles(x.shape, kernel, stride, padding, dilation):  # (N, C, OH, kh, OW, kw) is x's own layout
            one_hot = ctx.offset[:, :, :, None, :, None] == np.arange(kh * kw).reshape(kh, 1, kw)
            grad = grad_out.reshape(n, c, oh, 1, ow, 1) * one_hot.astype(grad_out.dtype)
            return grad.reshape(x.shape), None, None, None, None
        one_hot = ctx.offset[:, :, None] == np.arange(kh * kw).reshape(-1, 1, 1)  # (N, C, kh kw, OH, OW)
        cols = grad_out.reshape(n, c, 1, oh, ow) * one_hot.astype(grad_out.dtype)
        grad = Fold.apply(cols.reshape(n, c * kh * kw, oh * ow), x.shape[-2:], kernel, dilation, padding, stride)
        return grad, None, None, None, None
