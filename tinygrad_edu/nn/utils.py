"""nn.utils: clip_grad_norm_ and clip_grad_value_, called between backward() and step().

Layer L5. Both rescale the `.grad` of the given parameters. They rebind each gradient's array
(`p.grad.data = p.grad.data * c`) instead of writing into it: the engine may let one gradient
array be shared between views, and an in-place write would change another tensor's gradient.
See docs/nn.md.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .._tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    """The parameters' gradients, skipping parameters that have none."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm.

    The norm is taken over all gradients as if concatenated into one vector (norm_type p, or
    inf for the largest absolute value). When it exceeds max_norm every gradient is multiplied
    by max_norm / (norm + 1e-6), as torch does. Returns the norm before clipping, as a 0-d Tensor.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor(0.0)
    dtype = grads[0].data.dtype
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g.data), initial=0.0)) for g in grads)
    else:
        # float64 for the sum: thousands of float32 squares lose digits otherwise.
        per_param = [np.sum(np.abs(g.data.astype(np.float64)) ** norm_type) for g in grads]
        total = float(np.sum(per_param)) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total}, so clipping them "
                           "is meaningless; set error_if_nonfinite=False to clip anyway")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:  # torch multiplies by min(coefficient, 1); times 1.0 changes nothing
        for g in grads:
            g.data = g.data * np.asarray(coefficient, dtype=g.data.dtype)
    return Tensor(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.data = np.clip(g.data, -clip_value, clip_value)
