"""LogSoftmax and NLLLoss: the two halves of cross-entropy, fused for numerical stability.

Layer L2. log_softmax(x) = x - max(x) - log(sum(exp(x - max(x)))) never overflows, and its
backward needs only its own output. NLLLoss picks -log p[target] per row; its gradient is a
constant one-hot pattern times grad_out, so it is exact to any order. softmax, cross_entropy
and logsumexp are composites of these (docs/functional.md).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Context, Function


class LogSoftmax(Function):
    """d log_softmax(x)/dx applied to g: g - softmax(x) * sum(g) along the axis"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int) -> np.ndarray:
        shifted = x - x.max(axis=axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return shifted

    @staticmethod
    def backward(ctx: Context, grad_out):
        axis = ctx.inputs[1]
        return grad_out - ctx.output.exp() * grad_out.sum(axis=axis, keepdims=True), None


class NLLLoss(Function):
    """d nll/d logp[n, c] = -w_n / W where c = target[n] (W = sum of w for 'mean', 1 for 'sum'), else 0

    `row_weights[n]` is the class weight of row n's target, 0 for ignored rows; `reduction` is
    'mean', 'sum' or 'none'. Input (N, C) with targets (N,).
    """

    @staticmethod
    def forward(ctx: Context, logp: np.ndarray, target: np.ndarray, row_weights: np.ndarray, reduction: str) -> np.ndarray:
        rows = np.arange(logp.shape[0])
        safe_target = np.where(row_weights != 0, target, 0)  # ignored rows may hold any label
        losses = -logp[rows, safe_target] * row_weights
        if reduction == "none":
            return losses
        total = losses.sum()
        return total / row_weights.sum() if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Context, grad_out):
        logp, target, row_weights, reduction = ctx.inputs
        n = logp.data.shape[0]
        scale = -row_weights / row_weights.sum() if reduction == "mean" else -row_weights
        pattern = np.zeros(logp.data.shape, dtype=logp.data.dtype)
        pattern[np.arange(n), np.where(row_weights != 0, target, 0)] = scale
        if reduction == "none":
            grad_out = grad_out.reshape(n, 1)
        return grad_out * pattern, None, None, None
