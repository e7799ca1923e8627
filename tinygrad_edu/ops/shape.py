"""Shape primitives: Reshape, Transpose, BroadcastTo and its adjoint SumTo, Cat, Split and Pad.

Layer L2. None of these changes a value, so every backward only moves the gradient back into
the input's layout. BroadcastTo and SumTo are each other's backward: broadcasting copies a
value along new axes, so its gradient sums along them, and the reverse (docs/broadcasting.md).
Split is one node with one output per piece (split, chunk and unbind); its adjoint is Cat. Ops
whose result shares the input's memory say so (`returns_view`): they share its version counter.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Context, Function


class Reshape(Function):
    """d reshape(x)/dx: the gradient reshaped back to x's shape"""

    array_backward = True

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out.reshape(ctx.inputs[0].shape), None

    @staticmethod
    def jvp(ctx: Context, t, _):
        """d reshape(x) = reshape(dx)"""
        return Reshape.apply(t, ctx.inputs[1])



class Transpose(Function):
    """d permute(x, axes)/dx: the gradient permuted by the inverse permutation"""

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Context, grad_out):
        axes = ctx.inputs[1]
        return grad_out.permute(*np.argsort(axes).tolist()), None

    @staticmethod
    def jvp(ctx: Context, t, _):
        """d permute(x, axes) = permute(dx, axes)"""
        return Transpose.apply(t, ctx.inputs[1])



def summed_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of `shape` that broadcasting `target` up to `shape` created or stretched."""
    lead = len(shape) - len(target)
    stretched = tuple(lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
    return tuple(range(lead)) + stretched


class BroadcastTo(Function):
    """d broadcast_to(x, shape)/dx = sum of the gradient over the broadcast axes (sum_to)"""

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out.sum_to(ctx.inputs[0].data.shape), None

    @staticmethod
    def jvp(ctx: Context, t, _):
        """d broadcast_to(x, shape) = broadcast_to(dx, shape)"""
        return BroadcastTo.apply(t, ctx.inputs[1])



class SumTo(Function):
    """d sum_to(x, shape)/dx = the gradient broadcast back to x's shape (broadcast_to)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        summed = x.sum(axis=summed_axes(x.shape, shape), keepdims=True)
        return summed.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out.broadcast_to(ctx.inputs[0].data.shape), None

    @staticmethod
    def jvp(ctx: Context, t, _):
        """d sum_to(x, shape) = sum_to(dx, shape)"""
        return SumTo.apply(t, ctx.inputs[1])


class Cat(Function):
    """d cat(xs, axis)/dx_i = the slice of the gradient that x_i filled"""

    @staticmethod
    def forward(ctx: Context, axis: int, *xs: np.ndarray) -> np.ndarray:
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad_out):
        axis, *xs = ctx.inputs
        grads, start = [None], 0
        for x, needs in zip(xs, ctx.needs_input_grad[1:]):
            stop = start + x.data.shape[axis]
            grads.append(grad_out[(slice(None),) * axis + (slice(start, stop),)] if needs else None)
            start = stop
        return tuple(grads)

    @staticmethod
    def jvp(ctx: Context, _, *tangents):
        """d cat(xs, axis) = cat(dxs, axis)"""
        return Cat.apply(ctx.inputs[0], *tangents)


class Split(Function):
    """d split(x)/dx: the pieces' gradients joined back along the axis (cat)"""

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, sizes: tuple[int, ...], axis: int,
                squeeze: bool) -> tuple[np.ndarray, ...]:
        pieces = np.split(x, np.cumsum(sizes)[:-1], axis=axis)
        return tuple(p.squeeze(axis) for p in pieces) if squeeze else tuple(pieces)  # squeeze: unbind

    @staticmethod
    def backward(ctx: Context, *grads):
        _, _, axis, squeeze = ctx.inputs
        if squeeze:
            grads = tuple(g.unsqueeze(axis) for g in grads)
        return Cat.apply(axis, *grads), None, None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d split(x) = split(dx), one tangent per piece"""
        _, sizes, axis, squeeze = ctx.inputs
        return Split.apply(t, sizes, axis, squeeze)


class Pad(Function):
    """d pad(x)/dx: the gradient with the padding cut off again (padding is a constant)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, widths: tuple[tuple[int, int], ...], value: float) -> np.ndarray:
        return np.pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, widths, _ = ctx.inputs
        return grad_out[tuple(slice(before, before + n) for (before, _), n in zip(widths, x.data.shape))], None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d pad(x, value) = pad(dx, 0): the padding is constant"""
        return Pad.apply(t, ctx.inputs[1], 0.0)
