"""Reductions: Sum and Max (values only, as amax). mean, var, std, amin and logsumexp are
composites in _tensor.py; max(dim)/min(dim), which also say where, live in selection.py.

Layer L2. `axis` arrives normalised by _tensor.py: None or a tuple of non-negative ints.
The backward of a reduction puts the reduced axes back as size 1, then spreads the gradient
over them with an explicit BroadcastTo, the adjoint of summing.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Context, Function


def kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """`shape` with every reduced axis set to 1 (what keepdims=True would give)."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


class Sum(Function):
    """d sum(x)/dx = 1 for every element that was summed"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, axis, _ = ctx.inputs
        grad = grad_out.reshape(kept_shape(x.data.shape, axis))
        return grad.broadcast_to(x.data.shape), None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d sum(x) = sum(dx): summing is linear"""
        _, axis, keepdims = ctx.inputs
        return Sum.apply(t, axis, keepdims)



class Max(Function):
    """d amax(x)/dx = 1/k at each of the k elements equal to the maximum, else 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, axis, _ = ctx.inputs
        shape = kept_shape(x.data.shape, axis)
        is_max = x.data == ctx.output.data.reshape(shape)
        share = is_max / is_max.sum(axis=axis, keepdims=True)  # ties share the gradient evenly
        return grad_out.reshape(shape) * share.astype(x.data.dtype), None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d max(x) = the mean of dx over the elements equal to the maximum"""
        x, axis, keepdims = ctx.inputs
        is_max = x.data == ctx.output.data.reshape(kept_shape(x.data.shape, axis))
        share = (is_max / is_max.sum(axis=axis, keepdims=True)).astype(x.data.dtype)
        return Sum.apply(t * share, axis, keepdims)
