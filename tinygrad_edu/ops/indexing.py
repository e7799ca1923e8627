"""Indexing: GetItem and its adjoint ScatterTo; SetItem for `t[index] = v` with autograd.

Layer L2. Reading `x[index]` copies some elements; its gradient adds each element of
`grad_out` back at the place it was read from. With integer-array indices one place may be
read twice, so the gradient must accumulate (np.add.at) rather than assign.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Context, Function


def needs_accumulation(index: Any) -> bool:
    """True when `index` can select one element more than once (it holds an integer array)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(part, np.ndarray | list) and np.asarray(part).dtype != bool for part in parts)


class GetItem(Function):
    """d x[index]/dx: the gradient scattered back to the read positions, summing repeats"""

    returns_view = True  # basic indexing (ints, slices) gives a view; apply checks the array's base

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: Any) -> np.ndarray:
        out = x[index]
        if type(out) is not np.ndarray:  # one element: NumPy gives a copied scalar, PyTorch a 0-d view
            out = x[(index if type(index) is tuple else (index,)) + (Ellipsis,)]
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, index = ctx.inputs
        return grad_out.scatter_to(index, x.data.shape, needs_accumulation(index)), None

    @staticmethod
    def jvp(ctx: Context, t, _):
        """d x[index] = dx[index]"""
        return GetItem.apply(t, ctx.inputs[1])


class ScatterTo(Function):
    """d scatter_to(g, index, shape)/dg = the gradient read back at index (getitem)"""

    @staticmethod
    def forward(ctx: Context, g: np.ndarray, index: Any, shape: tuple[int, ...], accumulate: bool) -> np.ndarray:
        out = np.zeros(shape, dtype=g.dtype)
        if accumulate:
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out[ctx.inputs[1]], None, None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d scatter_to(g, index, shape) = scatter_to(dg, index, shape)"""
        _, index, shape, accumulate = ctx.inputs
        return ScatterTo.apply(t, index, shape, accumulate)


class SetItem(Function):
    """d (x with x[index] = v)/dx = the gradient, 0 where overwritten;  d/dv = the gradient read at index"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: Any, v: Any) -> np.ndarray:
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, index, v = ctx.inputs
        needs_x, _, needs_v = ctx.needs_input_grad
        grad_x = grad_v = None
        if needs_x:
            kept = np.ones(x.data.shape, dtype=x.data.dtype)
            kept[index] = 0
            grad_x = grad_out * kept
        if needs_v:
            grad_v = grad_out[index]
            lead = v.data.ndim - grad_v.data.ndim
            if lead > 0:  # NumPy drops leading size-1 axes of the value when assigning
                grad_v = grad_v.reshape((1,) * lead + grad_v.data.shape)
            grad_v = grad_v.sum_to(v.data.shape)
        return grad_x, None, grad_v

    @staticmethod
    def jvp(ctx: Context, tx, _, tv):
        """d (x with x[index] = v) = dx with dx[index] = dv"""
        return SetItem.apply(tx, ctx.inputs[1], 0.0 if tv is None else tv)
