"""Convolution as the book teaches it: im2col, one matrix product, and col2im on the way back.

Layer L2. Shapes: x (N, C, H, W), weight (F, C/G, kh, kw) for G groups, output (N, F, OH, OW)
with OH = (H + 2 pad - dil (kh - 1) - 1) // stride + 1. Every window of x is a strided view
(`windows`, no copy); copying the views into a matrix is im2col, PyTorch's `unfold`:
    cols[n, c kh kw, oh OW + ow] = x_padded[n, c, oh stride + i dil, ow stride + j dil]
so the convolution (a cross-correlation, as in PyTorch and the book) is one matrix product,
    y = W cols + b            W: (F, C kh kw),  cols: (C kh kw, N OH OW),
Conv2d copies the windows in the book's layout (C kh kw, N OH OW), so that y and both
gradients are single products over all N OH OW positions; y is returned as an (N, F, OH, OW)
view of the (F, N OH OW) product. A product's gradients are products again (dy read as
(F, N OH OW), no copy when it kept y's memory order):
    dW = dy cols^T            (the input correlated with the output gradient)
    dcols = W^T dy, dx = col2im(dcols)
col2im (`fold`) adds every column back into the window it came from, so overlapping windows
sum: it is the adjoint of im2col, and dx is a transposed convolution of dy with W. Unfold and
Fold are each other's backward, like BroadcastTo and SumTo. The backward's one formula runs
on NumPy arrays in a plain backward and records Tensor ops under create_graph, so second
derivatives through a convolution work. See docs/convolution.md.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.function import Context, Function

Pair = tuple[int, int]


def output_length(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """How many windows fit along one axis (PyTorch's formula, floor mode)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pad_spatial(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """x with `padding` rows/columns of `value` added on both sides of its last two axes."""
    if padding == (0, 0):
        return x
    widths = ((0, 0),) * (x.ndim - 2) + ((padding[0],) * 2, (padding[1],) * 2)
    return np.pad(x, widths, constant_values=value)


def windows(x_padded: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """A read-only view (N, C, kh, kw, OH, OW) with view[n, c, i, j, p, q] = x[n, c, p sh + i dh, q sw + j dw]."""
    n, c, h, w = x_padded.shape
    oh, ow = (output_length(size, k, s, 0, d) for size, k, s, d in zip((h, w), kernel, stride, dilation))
    sn, sc, sh, sw = x_padded.strides
    return as_strided(x_padded, (n, c, *kernel, oh, ow),
                      (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]), writeable=False)


def window_places(out: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair):
    """For each kernel offset (i, j), the strided view of `out` that offset (i, j) of every window covers."""
    oh, ow = out_hw
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            top, left = i * dilation[0], j * dilation[1]
            yield i, j, out[:, :, top:top + stride[0] * (oh - 1) + 1:stride[0],
                            left:left + stride[1] * (ow - 1) + 1:stride[1]]


def disjoint(kernel: Pair, stride: Pair, dilation: Pair) -> bool:
    """True when no two windows overlap (stride >= the dilated kernel's span along both axes)."""
    return all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))


def col2im(cols: np.ndarray, padded_shape: tuple[int, ...], kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """Add each window (N, C, kh, kw, OH, OW) back where it was read; one loop over the kernel's offsets."""
    out = np.zeros(padded_shape, dtype=cols.dtype)
    copy = disjoint(kernel, stride, dilation)  # disjoint windows fill disjoint places: no read-add-write
    for i, j, place in window_places(out, kernel, stride, dilation, cols.shape[-2:]):
        if copy:
            place[...] = cols[:, :, i, j]
        else:
            place += cols[:, :, i, j]
    return out


def fold(cols: np.ndarray, output_size: Pair, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair
         ) -> np.ndarray:
    """col2im of columns (N, C kh kw, L) into (N, C, *output_size) images, the padding cut off: Fold's forward."""
    n, ckk, _ = cols.shape
    padded = tuple(size + 2 * p for size, p in zip(output_size, padding))
    oh, ow = (output_length(size, k, s, 0, d) for size, k, s, d in zip(padded, kernel, stride, dilation))
    c = ckk // (kernel[0] * kernel[1])
    out = col2im(cols.reshape(n, c, *kernel, oh, ow), (n, c, *padded), kernel, stride, dilation)
    return out[:, :, padding[0]:padding[0] + output_size[0], padding[1]:padding[1] + output_size[1]]


class Unfold(Function):
    """d unfold(x)/dx = fold(grad): each column's gradient goes back into its window, overlaps add"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> np.ndarray:
        view = windows(pad_spatial(x, padding), kernel, stride, dilation)
        n, c, kh, kw, oh, ow = view.shape
        return view.reshape(n, c * kh * kw, oh * ow)  # im2col: the one copy

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, kernel, dilation, padding, stride = ctx.inputs
        return Fold.apply(grad_out, x.data.shape[-2:], kernel, dilation, padding, stride), None, None, None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d unfold(x) = unfold(dx)"""
        return Unfold.apply(t, *ctx.inputs[1:])


class Fold(Function):
    """d fold(cols)/dcols = unfold(grad): each column reads the gradient of the window it was added to"""

    @staticmethod
    def forward(ctx: Context, cols: np.ndarray, output_size: Pair, kernel: Pair, dilation: Pair, padding: Pair,
                stride: Pair) -> np.ndarray:
        return fold(cols, output_size, kernel, dilation, padding, stride)

    @staticmethod
    def backward(ctx: Context, grad_out):
        _, _, kernel, dilation, padding, stride = ctx.inputs
        return Unfold.apply(grad_out, kernel, dilation, padding, stride), None, None, None, None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d fold(cols) = fold(dcols)"""
        return Fold.apply(t, *ctx.inputs[1:])


class Conv2d(Function):
    """y = W cols + b;  dW = dy cols^T,  dx = fold(W^T dy),  db = dy summed over N, OH, OW"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair,
                padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
        n = x.shape[0]
        f, c_group, kh, kw = weight.shape
        view = windows(pad_spatial(x, padding), (kh, kw), stride, dilation)
        oh, ow = view.shape[-2:]
        # im2col in the book's layout (C kh kw, N OH OW), the one copy: y and dW are then one GEMM each
        cols = view.transpose(1, 2, 3, 0, 4, 5).reshape(groups, c_group * kh * kw, n * oh * ow)
        ctx.cols = cols
        out = weight.reshape(groups, f // groups, -1) @ cols  # (G, F/G, N OH OW): one GEMM per group
        if bias is not None:
            out += bias.reshape(groups, f // groups, 1)
        # (N, F, OH, OW) as a view of the (F, N, OH, OW) product, as the book's layer: the ops after it
        # keep that memory order, so backward's dy below is again a view
        return out.reshape(f, n, oh, ow).swapaxes(0, 1)

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, weight, _, stride, padding, dilation, groups = ctx.inputs
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad[:3]
        n, f, oh, ow = grad_out.shape
        kh, kw = weight.shape[2:]
        dy = grad_out.swapaxes(0, 1).reshape(groups, f // groups, n * oh * ow)  # (G, F/G, N L); a copy only if
        grad_x = grad_weight = grad_bias = None                                  # grad_out is in (N, F) order
        if needs_x:
            dcols = weight.reshape(groups, f // groups, -1).mT @ dy  # (G, C/G kh kw, N L)
            dcols = dcols.reshape(-1, n, oh * ow).swapaxes(0, 1)  # fold's (N, C kh kw, L), a view
            fold_columns = fold if ctx.on_arrays else Fold.apply  # create_graph: fold recorded, differentiable
            grad_x = fold_columns(dcols, x.shape[-2:], (kh, kw), dilation, padding, stride)
        if needs_weight:
            if ctx.on_arrays:  # a plain backward: the columns forward copied
                cols = ctx.cols
            else:  # create_graph: cols as a function of x, so d(dW)/dx exists
                cols = Unfold.apply(x, (kh, kw), dilation, padding, stride).swapaxes(0, 1)
                cols = cols.reshape(groups, -1, n * oh * ow)
            grad_weight = (dy @ cols.mT).reshape(weight.shape)  # one GEMM over N OH OW
        if needs_bias:
            grad_bias = dy.sum(2).reshape(f)
        return grad_x, grad_weight, grad_bias, None, None, None, None

    @staticmethod
    def jvp(ctx: Context, tx, tw, tb, *_):
        """d conv(x, W, b) = conv(dx, W) + conv(x, dW) + db"""
        x, weight, _, *geometry = ctx.inputs
        return Conv2d.apply(tx, weight, None, *geometry) + Conv2d.apply(x, tw, tb, *geometry)
