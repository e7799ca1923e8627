"""tinygrad_edu.functional (imported as F): activations, losses, linear, dropout, batch_norm, conv, pooling.

Layer L4: composites of Tensor methods, plus the fused ops where stability needs them
(log_softmax, nll_loss, linear). Names and arguments are torch.nn.functional's. The image
functions (conv2d, max_pool2d, unfold, pad, ...) live in spatial.py and are re-exported here.
See docs/functional.md and docs/convolution.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .ops.normalization import BatchNormTrain, batch_statistics
from .ops.softmax import NLLLoss, SoftmaxCrossEntropy
from .random import generator
from ._tensor import Tensor, linear, where
from .spatial import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, conv1d, conv2d, dropout2d, fold,
                      max_pool2d, pad, unfold)

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "softplus", "softmax", "log_softmax", "linear", "dropout",
           "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy_with_logits", "batch_norm", "where",
           "conv1d", "conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d", "pad", "dropout2d"]

_REDUCTIONS = ("mean", "sum", "none")


def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise (the gradient at 0 is 0, as in PyTorch)."""
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise, computed without overflow for large |x|."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """The hyperbolic tangent, elementwise."""
    return x.tanh()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere."""
    return x.leaky_relu(negative_slope)


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)) elementwise, a smooth ReLU, computed without overflow."""
    return x.softplus()


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (the maximum is subtracted first, so large inputs do not overflow).

    Example:
        >>> F.softmax(tg.tensor([0.0, 0.0]), dim=0).tolist()
        [0.5, 0.5]
    """
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along `dim`, computed as x - logsumexp(x) (stable, unlike log of softmax)."""
    return x.log_softmax(dim)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability p, scale survivors by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = generator().random(x.shape, dtype=np.float64 if x.dtype == np.float64 else np.float32) >= p
    kept: Tensor = x * (keep * np.asarray(1.0 / (1.0 - p), dtype=x.dtype))
    return kept


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def _labels(target: Any) -> np.ndarray:
    return np.asarray(target.data if isinstance(target, Tensor) else target)


def _as_rows(input: Tensor, target: np.ndarray) -> tuple[Tensor, np.ndarray, tuple[int, ...]]:
    """(C,), (N, C) or (N, C, d1, ...) input as (rows, C), the targets per row, and the row shape."""
    soft = target.dtype.kind == "f"
    if input.ndim == 1:
        return input.reshape(1, -1), (target.reshape(1, -1) if soft else target.reshape(1)), ()
    if input.ndim == 2:
        return input, target, (input.shape[0],)
    classes = input.shape[1]
    moved = input.movedim(1, -1)  # classes last: every other position becomes one row
    rows_target = np.moveaxis(target, 1, -1).reshape(-1, classes) if soft else target.reshape(-1)
    return moved.reshape(-1, classes), rows_target, moved.shape[:-1]


def _row_weights(labels: np.ndarray, classes: int, weight: Any, ignore_index: int, dtype: np.dtype,
                 shape: tuple[int, ...]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-row weight of each target (0 where ignored), and the class weights if any.

    None for the row weights when every row weighs 1: no class weights, every label a class, and
    ignore_index outside the labels' range (so matching none). That is the common case, and
    checking it takes two reductions, where the array takes about six NumPy calls to build and
    more to apply (ops/softmax.py's weighted_nll and target_pattern).
    """
    if labels.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices (or float probabilities), got dtype {labels.dtype}")
    if labels.shape != (shape[0],):
        raise ValueError(f"target of shape {labels.shape} does not match input of shape {shape}")
    if weight is None and labels.size:
        low, high = labels.min(), labels.max()
        if 0 <= low and high < classes and not low <= ignore_index <= high:
            return None, None
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise IndexError(f"target {labels[bad][0]} is out of range for {classes} classes")
    row_weights = valid.astype(dtype)
    class_weights = None
    if weight is not None:
        class_weights = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=dtype)
        if class_weights.shape != (classes,):
            raise ValueError(f"weight of shape {class_weights.shape} does not match {classes} classes")
        row_weights = row_weights * class_weights[np.where(valid, labels, 0)]
    return row_weights, class_weights


def nll_loss(log_probs: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer targets given log-probabilities (C,), (N, C) or (N, C, d...)."""
    _check_reduction(reduction)
    rows, labels, row_shape = _as_rows(log_probs, _labels(target))
    row_weights, _ = _row_weights(labels, rows.shape[1], weight, ignore_index, rows.dtype, rows.shape)
    loss: Tensor = NLLLoss.apply(rows, labels, row_weights, reduction)
    return loss.reshape(row_shape) if reduction == "none" else loss


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits against class indices or class probabilities (torch's rules).

    Shapes: input (C,), (N, C) or (N, C, d1, ...); target of indices (N,) / (N, d1, ...) or of
    probabilities with the input's shape. With label_smoothing e the target becomes
    (1 - e) target + e / C, and class weights scale each class's term.
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    target_array = _labels(target)
    if target_array.dtype.kind == "f" and target_array.shape != input.shape:
        raise ValueError(f"cross_entropy: probability target of shape {target_array.shape} must match input "
                         f"of shape {input.shape}")
    logits, row_target, row_shape = _as_rows(input, target_array)
    classes = logits.shape[1]
    if target_array.dtype.kind == "f":  # probabilities: soft or one-hot targets
        probabilities = row_target.astype(input.dtype, copy=False)
        if label_smoothing:
            probabilities = probabilities * (1 - label_smoothing) + label_smoothing / classes
        terms = logits.log_softmax(1) * probabilities
        if weight is not None:
            terms = terms * np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=input.dtype)
        losses = -terms.sum(1)
        return losses.reshape(row_shape) if reduction == "none" else _reduce(losses, reduction)
    row_weights, class_weights = _row_weights(row_target, classes, weight, ignore_index, input.dtype, logits.shape)
    loss: Tensor = SoftmaxCrossEntropy.apply(logits, row_target, row_weights, reduction)  # one fused node
    if label_smoothing:
        # The uniform part: e / C times the (class-weighted) sum of -log p over classes, per row.
        log_probs = logits.log_softmax(1)
        weighted = log_probs if class_weights is None else log_probs * class_weights
        uniform = -weighted.sum(1) * ((row_target != ignore_index).astype(input.dtype) / classes)
        if reduction == "mean":
            uniform = uniform.sum() / (len(row_target) if row_weights is None else row_weights.sum())
        elif reduction == "sum":
            uniform = uniform.sum()
        loss = loss * (1 - label_smoothing) + uniform * label_smoothing
    return loss.reshape(row_shape) if reduction == "none" else loss


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (the book's sum of squared errors is reduction='sum' times 1/2)."""
    _check_reduction(reduction)
    target_shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if tuple(target_shape) != input.shape:
        raise ValueError(f"mse_loss: target of shape {tuple(target_shape)} does not match input of shape {input.shape}")
    difference = input - target
    return _reduce(difference * difference, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """-[p y log s(x) + (1 - y) log(1 - s(x))], computed stably as (1 - y) x + (1 + (p - 1) y) softplus(-x)."""
    _check_reduction(reduction)
    y = np.asarray(target.data if isinstance(target, Tensor) else target, dtype=input.dtype)
    if y.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target of shape {y.shape} does not match input of "
                         f"shape {input.shape}")
    log_weight = 1.0 if pos_weight is None else 1 + (np.asarray(pos_weight, dtype=input.dtype) - 1) * y
    losses = input * (1 - y) + (-input).softplus() * log_weight
    if weight is not None:
        losses = losses * np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=input.dtype)
    return _reduce(losses, reduction)


def batch_norm(input: Tensor, running_mean: np.ndarray | Tensor | None, running_var: np.ndarray | Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) over the batch and spatial axes, as torch's batch_norm.

    In training, batch statistics normalise and the running buffers (NumPy arrays or buffer
    Tensors, updated in place) move toward them: running = (1 - momentum) running + momentum
    batch, with the unbiased batch variance. In eval, the running statistics normalise.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects input of shape (N, C, ...), got {input.shape}")
    # Work on the arrays themselves: `tensor *= c` would rebind a local name and update nothing.
    running_mean = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    running_var = running_var.data if isinstance(running_var, Tensor) else running_var
    for what, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                        ("bias", bias)):
        if value is not None and tuple(value.shape) != (input.shape[1],):
            raise ValueError(f"batch_norm: {what} of shape {tuple(value.shape)} does not match the "
                             f"{input.shape[1]} channels of input of shape {input.shape}")
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of "
                             f"shape {input.shape}")
        mean, centred, var = batch_statistics(input.data, axes)  # var biased: what normalises the batch
        if running_mean is not None and running_var is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(-1)
            running_var *= 1 - momentum
            running_var += momentum * var.reshape(-1) * (count / (count - 1))  # stored unbiased
        normalised: Tensor = BatchNormTrain.apply(input, weight, bias, centred, var, axes, eps)  # one fused node
        return normalised
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in eval mode needs running_mean and running_var")
        scale = 1.0 / np.sqrt(running_var.astype(input.dtype) + eps)
        normalised = (input - running_mean.astype(input.dtype).reshape(shape)) * scale.reshape(shape)
    if weight is not None:
        normalised = normalised * weight.reshape(shape)
    if bias is not None:
        normalised = normalised + bias.reshape(shape)
    return normalised

