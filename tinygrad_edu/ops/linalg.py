"""Matrix products: MatMul (1-D, 2-D and batched) and Linear (x @ W.T + b, fused).

Layer L2. For C = A @ B the gradients are dA = dC @ B^T and dB = A^T @ dC. 1-D operands are
promoted to matrices first (as np.matmul does), and batch axes that were broadcast are summed
back with sum_to. Linear is one node instead of three (matmul, transpose, add) because it runs
in every layer of every network: fewer nodes, less Python per step (docs/performance.md).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Context, Function


class MatMul(Function):
    """d(A@B)/dA = dC @ B^T,  d(A@B)/dB = A^T @ dC"""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx: Context, grad_out):
        a, b = ctx.inputs
        needs_a, needs_b = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (grad_out @ b.T if needs_a else None), (a.T @ grad_out if needs_b else None)
        if a.ndim == 1 and b.ndim == 1:
            return (grad_out * b if needs_a else None), (grad_out * a if needs_b else None)
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        g2 = grad_out.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        grad_a = (g2 @ b2.transpose(-1, -2)).sum_to(a2.shape).reshape(a.shape) if needs_a else None
        grad_b = (a2.transpose(-1, -2) @ g2).sum_to(b2.shape).reshape(b.shape) if needs_b else None
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, ta, tb):
        """d(A@B) = dA @ B + A @ dB"""
        a, b = ctx.inputs
        return MatMul.apply(ta, b) + MatMul.apply(a, tb)



class Linear(Function):
    """d(x W^T + b)/dx = dY W,  d/dW = dY^T x,  d/db = dY summed over all but the last axis"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, weight, _ = ctx.inputs
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        grad_x = grad_out @ weight if needs_x else None
        grad_weight = grad_bias = None
        if x.ndim != 2:  # fold batch axes (or lift a vector) so dW is one matrix product
            x, grad_out = x.reshape(-1, x.shape[-1]), grad_out.reshape(-1, grad_out.shape[-1])
        if needs_weight:
            grad_weight = grad_out.T @ x
        if needs_bias:
            grad_bias = grad_out.sum(axis=0)
        return grad_x, grad_weight, grad_bias

    @staticmethod
    def jvp(ctx: Context, tx, tw, tb):
        """d(x W^T + b) = dx W^T + x dW^T + db"""
        x, weight, _ = ctx.inputs
        return Linear.apply(tx, weight, None) + Linear.apply(x, tw, tb)
