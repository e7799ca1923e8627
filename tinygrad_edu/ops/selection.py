"""Selection: ops that pick values along one dim and say where, (values, indices) nodes.

Layer L2. MaxDim/MinDim (max(dim), min(dim)), Sort and TopK are two-output nodes, as torch.max,
torch.sort and torch.topk: the indices are marked non-differentiable, and the gradient of
`values` goes back to the position each value came from (`scatter_along`, the adjoint of
NumPy's take_along_axis). Equal values keep their original order (a stable sort).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Context, Function


def scatter_along(grad, indices: np.ndarray, dim: int, shape: tuple[int, ...]):
    """A zero Tensor of `shape` holding `grad` at `indices` along `dim` (the adjoint of take_along_axis)."""
    grids: list[np.ndarray] = list(np.indices(indices.shape, sparse=True))
    grids[dim] = indices
    return grad.scatter_to(tuple(grids), shape, False)  # positions are distinct: assign, no accumulation


def take_along(t, indices: np.ndarray, dim: int):
    """`t`'s values at `indices` along `dim` as a Tensor op (NumPy's take_along_axis, differentiable)."""
    grids: list[np.ndarray] = list(np.indices(indices.shape, sparse=True))
    grids[dim] = indices
    return t[tuple(grids)]


def _pick(ctx: Context, x: np.ndarray, dim: int, keepdim: bool, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values at `indices` along `dim`, both squeezed unless keepdim; indices get no gradient."""
    values = np.take_along_axis(x, indices, dim)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    ctx.mark_non_differentiable(indices)
    return values, indices


def _unpick(ctx: Context, grad_values):
    """The gradient of the picked values, put back where they were picked from."""
    x, dim, keepdim = ctx.inputs
    indices = ctx.outputs[1].data
    if not keepdim:
        grad_values, indices = grad_values.unsqueeze(dim), np.expand_dims(indices, dim)
    return scatter_along(grad_values, indices, dim, x.data.shape), None, None


def _pick_tangent(ctx: Context, t):
    """The tangent of the picked values: the input's tangent read at the same indices."""
    _, dim, keepdim = ctx.inputs
    indices = ctx.outputs[1].data
    if not keepdim:
        return take_along(t, np.expand_dims(indices, dim), dim).squeeze(dim), None
    return take_along(t, indices, dim), None


class MaxDim(Function):
    """d max(x, dim).values/dx = 1 at the index max(x, dim).indices names, else 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dim: int, keepdim: bool) -> tuple[np.ndarray, np.ndarray]:
        return _pick(ctx, x, dim, keepdim, np.expand_dims(np.argmax(x, axis=dim), dim))

    @staticmethod
    def backward(ctx: Context, grad_values, grad_indices):
        return _unpick(ctx, grad_values)

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d max(x, dim).values = dx at the indices"""
        return _pick_tangent(ctx, t)


class MinDim(Function):
    """d min(x, dim).values/dx = 1 at the index min(x, dim).indices names, else 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dim: int, keepdim: bool) -> tuple[np.ndarray, np.ndarray]:
        return _pick(ctx, x, dim, keepdim, np.expand_dims(np.argmin(x, axis=dim), dim))

    @staticmethod
    def backward(ctx: Context, grad_values, grad_indices):
        return _unpick(ctx, grad_values)

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d min(x, dim).values = dx at the indices"""
        return _pick_tangent(ctx, t)


def _ordering(x: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    return np.argsort(-x if descending else x, axis=dim, kind="stable")


class Sort(Function):
    """d sort(x).values/dx: each gradient goes back to the position its value came from"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dim: int, descending: bool) -> tuple[np.ndarray, np.ndarray]:
        indices = _ordering(x, dim, descending)
        ctx.mark_non_differentiable(indices)
        return np.take_along_axis(x, indices, dim), indices

    @staticmethod
    def backward(ctx: Context, grad_values, grad_indices):
        x, dim, _ = ctx.inputs
        return scatter_along(grad_values, ctx.outputs[1].data, dim, x.data.shape), None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d sort(x).values = dx in the same order"""
        return take_along(t, ctx.outputs[1].data, ctx.inputs[1]), None


class TopK(Function):
    """d topk(x, k).values/dx: each gradient goes back to the position its value came from, 0 elsewhere"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, k: int, dim: int, largest: bool) -> tuple[np.ndarray, np.ndarray]:
        indices = np.take(_ordering(x, dim, largest), np.arange(k), axis=dim)
        ctx.mark_non_differentiable(indices)
        return np.take_along_axis(x, indices, dim), indices

    @staticmethod
    def backward(ctx: Context, grad_values, grad_indices):
        x, _, dim, _ = ctx.inputs
        return scatter_along(grad_values, ctx.outputs[1].data, dim, x.data.shape), None, None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d topk(x, k).values = dx at the same positions"""
        return take_along(t, ctx.outputs[1].data, ctx.inputs[2]), None
