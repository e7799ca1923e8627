"""Max pooling, the one pooling primitive (average pooling is a sum over unfold's windows).

Layer L2. The forward reads the windows as a strided view (conv.windows) and takes the
maximum over the kernel's offsets. The backward routes each output gradient to one element
per window, the first maximum in row-major order (the last NaN), also on ties, as PyTorch and
the book's Pooling layer do: a one-hot column per window times grad_out, added back with fold.
Under create_graph that is written with Tensor ops (differentiable in grad_out); a plain
backward does the same multiply inside fold's loop over the kernel's offsets, one pass each.
When the windows tile the input (the book's 2x2 stride 2) a recorded forward also keeps each
window's first-maximum offset, found with contiguous passes (tiled_max), so backward does not
search x again. See docs/convolution.md.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Context, Function
from .conv import Fold, Pair, Unfold, disjoint, pad_spatial, window_places, windows


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
            np.copyto(offset, i * kernel[1] + j, where=better)
    return best, offset


def tiles(shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> bool:
    """True when the windows cover the input exactly, side by side (stride = kernel, nothing left over)."""
    return (stride == kernel and padding == (0, 0) and dilation == (1, 1)
            and shape[-2] % kernel[0] == 0 and shape[-1] % kernel[1] == 0)


def tiled_max(x: np.ndarray, kernel: Pair) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of windows that tile x (N, C, OH, OW) and the offset i kw + j of each one's first maximum.

    One copy lays every kernel offset's elements out as a contiguous block (kh kw, N, C, OH, OW):
    the passes after it run NumPy's fast contiguous loops instead of its element-by-element
    strided ones, and the offsets (one byte per window, in x's memory order, see route_to_first_max)
    spare backward a search over x. A convolution's output lies in memory as (C, N): the blocks
    follow that order, so the copy reads x front to back.
    """
    swap = x.strides[0] < x.strides[1]  # (C, N) in memory: work on the swapped view, swap the results back
    x_in_memory_order = x.swapaxes(0, 1) if swap else x
    a, b, h, w = x_in_memory_order.shape
    (kh, kw), oh, ow = kernel, h // kernel[0], w // kernel[1]
    blocks = x_in_memory_order.reshape(a, b, oh, kh, ow, kw).transpose(3, 5, 0, 1, 2, 4).reshape(kh * kw, a, b, oh, ow)
    best = blocks.max(axis=0)  # NaN wins, as in PyTorch
    if np.isnan(best).any():  # NaN is the maximum of its window: its last NaN, window_argmax's rule
        return window_argmax(x, kernel, kernel, (0, 0), (1, 1))
    first = np.full(best.shape, kh * kw - 1, dtype=np.min_scalar_type(kh * kw))
    for offset in range(kh * kw - 2, -1, -1):  # from the last offset back, so the first maximum is written last
        first -= (first - offset) * (blocks[offset] == best)  # first = offset at a maximum (copyto's where is slow)
    if swap:
        return np.ascontiguousarray(best.swapaxes(0, 1)), first.swapaxes(0, 1)
    return best, first


def in_memory_order_of(like: np.ndarray, a: np.ndarray) -> np.ndarray:
    """`a`, copied into the memory order of `like` (same shape) if its order differs: NumPy's loops are
    fast only when all their operands walk memory the same way."""
    if list(np.argsort(like.strides)) == list(np.argsort(a.strides)):
        return a
    copy = np.empty_like(like, dtype=a.dtype)
    copy[...] = a
    return copy


def first_max_hits(x: np.ndarray, best: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                   first: np.ndarray | None = None):
    """For each kernel offset (i, j): where that element is the first maximum of its window (or its last NaN).

    `first`, the offsets forward found (tiled_max), if it kept them; otherwise they are searched for here.
    """
    if first is None and np.isnan(best).any():  # NaN is the maximum of its window: its last NaN, PyTorch's rule
        _, first = window_argmax(x, kernel, stride, padding, dilation)
    if first is not None:
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                yield i, j, first == i * kernel[1] + j
        return
    view = windows(pad_spatial(x, padding, -np.inf), kernel, stride, dilation)
    taken = np.zeros(best.shape, dtype=bool)  # windows whose maximum was already found
    hit = np.empty(best.shape, dtype=bool)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            np.equal(view[:, :, i, j], best, out=hit)
            np.greater(hit, taken, out=hit)  # hit and not taken: a tie (ReLU's zeros) keeps the first
            taken |= hit
            yield i, j, hit


def first_max_mask(x: np.ndarray, best: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                   first: np.ndarray | None = None) -> np.ndarray:
    """The hits of every offset as one array (N, C, kh, kw, OH, OW): a one-hot column per window."""
    mask = np.empty(best.shape[:2] + kernel + best.shape[2:], dtype=bool)
    for i, j, hit in first_max_hits(x, best, kernel, stride, padding, dilation, first):
        mask[:, :, i, j] = hit
    return mask


def route_to_first_max(x: np.ndarray, best: np.ndarray, grad: np.ndarray, kernel: Pair, stride: Pair,
                       padding: Pair, dilation: Pair, first: np.ndarray | None = None) -> np.ndarray:
    """fold(grad x one-hot columns) in one pass per kernel offset: each window's gradient at its first maximum."""
    n, c, h, w = x.shape
    every_place_written = tiles(x.shape, kernel, stride, padding, dilation)
    allocate = np.empty_like if every_place_written else np.zeros_like
    # in x's memory order: a convolution's (F, N) order then reaches its backward, which reads dy as a view
    padded = allocate(x, dtype=grad.dtype, shape=(n, c, h + 2 * padding[0], w + 2 * padding[1]))
    copy = disjoint(kernel, stride, dilation)
    if first is not None:  # the hits below come in the memory order of forward's offsets: grad joins it
        grad = in_memory_order_of(first, grad)
    hits = first_max_hits(x, best, kernel, stride, padding, dilation, first)
    for (_, _, hit), (_, _, place) in zip(hits, window_places(padded, kernel, stride, dilation, grad.shape[-2:])):
        if copy:
            np.multiply(hit, grad, out=place)
        else:
            place += hit * grad
    return padded[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w]


class MaxPool2d(Function):
    """d maxpool(x)/dx = 1 at the (first) maximum of each window, 0 elsewhere"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> np.ndarray:
        ctx.first_max = None
        if ctx.needs_input_grad and tiles(x.shape, kernel, stride, padding, dilation):
            # recorded, and the common 2x2 stride 2: find the offsets now, for backward (tiled_max)
            best, ctx.first_max = tiled_max(x, kernel)
            return best
        view = windows(pad_spatial(x, padding, -np.inf), kernel, stride, dilation)
        best = view[:, :, 0, 0].copy()
        for i in range(kernel[0]):  # a loop over the kernel's offsets, each step on whole arrays
            for j in range(kernel[1]):
                if i or j:
                    np.maximum(best, view[:, :, i, j], out=best)  # NaN wins, as in PyTorch
        return best

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, kernel, stride, padding, dilation = ctx.inputs
        n, c, oh, ow = grad_out.shape
        if ctx.on_arrays:  # a plain backward: the routing below with the multiply fused into fold's loop
            grad = route_to_first_max(x, ctx.output_arrays[0], grad_out, kernel, stride, padding, dilation,
                                      ctx.first_max)
            return grad, None, None, None, None
        # create_graph: one-hot columns times grad_out, folded back, as Tensor ops
        mask = first_max_mask(x.data, ctx.output_arrays[0], kernel, stride, padding, dilation, ctx.first_max)
        cols = grad_out.reshape(n, c, 1, 1, oh, ow) * mask
        return Fold.apply(cols.reshape(n, -1, oh * ow), x.shape[-2:], kernel, dilation, padding, stride), \
            None, None, None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d maxpool(x) = dx at the (first) maximum of each window"""
        x, kernel, stride, padding, dilation = ctx.inputs
        n, c, oh, ow = ctx.output_arrays[0].shape
        mask = first_max_mask(x.data, ctx.output_arrays[0], kernel, stride, padding, dilation, ctx.first_max)
        t_windows = Unfold.apply(t, kernel, dilation, padding, stride).reshape(n, c, *kernel, oh, ow)
        return (t_windows * mask).sum((2, 3))
