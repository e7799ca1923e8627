"""LogSoftmax, NLLLoss and SoftmaxCrossEntropy: cross-entropy's parts, fused for stability.

Layer L2. log_softmax(x) = x - max(x) - log(sum(exp(x - max(x)))) never overflows, and its
backward needs only its own output. NLLLoss picks -w_n log p[n, target_n] from log-probabilities.
SoftmaxCrossEntropy does both in one node (what functional.cross_entropy uses for class
indices): its gradient (softmax(x) - onehot) * w_n / W is one expression instead of five ops,
which matters once per training step (docs/performance.md). softmax and logsumexp are
composites (docs/functional.md).
"""
from __future__ import annotations

import numpy as np

from .. import _grad_mode
from ..autograd.function import Context, Function


_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """log_softmax on an array, with the max shifted out first so exp never overflows.

    As PyTorch: an empty axis gives an empty result, a row holding inf or nan gives nan (without
    NumPy's warnings), integer input raises PyTorch's "not implemented for 'Long'" error.
    """
    if x.dtype.kind not in "fc":
        name = _TORCH_NAMES.get(x.dtype.name, x.dtype.name)
        raise RuntimeError(f'"log_softmax" not implemented for {name!r}: softmax, log_softmax and cross_entropy '
                           f"need floating-point input, got {x.dtype}")
    if x.size == 0:
        return x.copy()
    with np.errstate(invalid="ignore"):
        shifted = x - x.max(axis=axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def weighted_nll(log_probs: np.ndarray, target: np.ndarray, row_weights: np.ndarray | None,
                 reduction: str) -> np.ndarray:
    """-w_n log p[n, target_n] per row, then reduced: 'none', 'sum', or 'mean' (divided by sum of w).

    `row_weights` None means every w_n is 1 (no class weights, no ignored row): the picked
    log-probabilities then need no mask and no product, and 'mean' divides by N.
    """
    rows = np.arange(log_probs.shape[0])
    if row_weights is None:
        picked = log_probs[rows, target]
        if reduction == "none":
            return -picked
        total = -picked.sum()  # negating the sum, not every term: the same number, one pass fewer
        return total / len(target) if reduction == "mean" else total
    safe_target = np.where(row_weights != 0, target, 0)  # ignored rows (weight 0) may hold any label
    losses = -log_probs[rows, safe_target] * row_weights
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / row_weights.sum() if reduction == "mean" else total


def target_pattern(shape: tuple[int, ...], target: np.ndarray, row_weights: np.ndarray | None, reduction: str,
                   dtype: np.dtype) -> tuple[np.ndarray, np.ndarray | np.floating]:
    """The one-hot matrix of the targets and each row's weight in the loss.

    The weights come as a column, or, when `row_weights` is None (every row weighs 1), as one
    number of `dtype` for all rows: 1/N for 'mean', else 1. Either multiplies an (N, C) array
    or Tensor alike, and 1/N is rounded as the column's entries would be.
    """
    onehot = np.zeros(shape, dtype=dtype)
    # Ignored rows (weight 0) may hold any label, so they point at class 0; with no weights none is.
    onehot[np.arange(shape[0]), target if row_weights is None else np.where(row_weights != 0, target, 0)] = 1
    if row_weights is None:
        one = dtype.type(1)
        return onehot, one / shape[0] if reduction == "mean" else one
    scale = row_weights / row_weights.sum() if reduction == "mean" else row_weights
    return onehot, scale.astype(dtype, copy=False).reshape(-1, 1)


class LogSoftmax(Function):
    """d log_softmax(x)/dx applied to g: g - softmax(x) * sum(g) along the axis"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int) -> np.ndarray:
        return log_softmax_array(x, axis)

    @staticmethod
    def backward(ctx: Context, grad_out):
        axis = ctx.inputs[1]
        return grad_out - ctx.output.exp() * grad_out.sum(axis=axis, keepdims=True), None

    @staticmethod
    def jvp(ctx: Context, t, _):
        """d log_softmax(x) = dx - sum(softmax(x) * dx) along the axis"""
        axis = ctx.inputs[1]
        return t - (ctx.output.exp() * t).sum(axis=axis, keepdims=True)



class NLLLoss(Function):
    """d nll/d logp[n, c] = -w_n / W where c = target[n] (W = sum of w for 'mean', 1 for 'sum'), else 0

    `row_weights[n]` is the class weight of row n's target, 0 for ignored rows (None: all 1);
    `reduction` is 'mean', 'sum' or 'none'. Input (N, C) with targets (N,). The gradient is a
    constant pattern times grad_out, so it is exact to any order.
    """

    @staticmethod
    def forward(ctx: Context, logp: np.ndarray, target: np.ndarray, row_weights: np.ndarray | None,
                reduction: str) -> np.ndarray:
        return weighted_nll(logp, target, row_weights, reduction)

    @staticmethod
    def backward(ctx: Context, grad_out):
        logp, target, row_weights, reduction = ctx.inputs
        onehot, scale = target_pattern(logp.data.shape, target, row_weights, reduction, logp.data.dtype)
        if reduction == "none":
            grad_out = grad_out.reshape(-1, 1)
        return grad_out * (onehot * -scale), None, None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d nll(logp) = nll(dlogp): the loss is linear in the log-probabilities"""
        _, target, row_weights, reduction = ctx.inputs
        return NLLLoss.apply(t, target, row_weights, reduction)



class SoftmaxCrossEntropy(Function):
    """d CE/d x[n, c] = (softmax(x)[n, c] - [c = target_n]) * w_n / W (W as in NLLLoss)

    Logits (N, C), class indices (N,). Plain backward takes the probabilities from the saved
    log-probabilities (a constant array); under create_graph it recomputes them from x as Tensor
    ops, so the same expression is differentiable again.
    """

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, target: np.ndarray, row_weights: np.ndarray | None,
                reduction: str) -> np.ndarray:
        ctx.log_probs = log_softmax_array(x, 1)
        return weighted_nll(ctx.log_probs, target, row_weights, reduction)

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, target, row_weights, reduction = ctx.inputs
        onehot, scale = target_pattern(x.shape, target, row_weights, reduction, x.dtype)
        probabilities = np.exp(ctx.log_probs) if ctx.on_arrays else x.softmax(1)
        per_unit = (probabilities - onehot) * scale  # the gradient for grad_out = 1
        if reduction == "none":
            grad_out = grad_out.reshape(-1, 1)
        return grad_out * per_unit, None, None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d CE = sum over classes of (softmax(x) - onehot) * w_n / W * dx, reduced like the loss"""
        x, target, row_weights, reduction = ctx.inputs
        onehot, scale = target_pattern(x.data.shape, target, row_weights, reduction, x.data.dtype)
        probabilities = x.softmax(1) if _grad_mode.local.enabled else np.exp(ctx.log_probs)
        per_row = (t * ((probabilities - onehot) * scale)).sum(axis=1)
        return per_row if reduction == "none" else per_row.sum()
