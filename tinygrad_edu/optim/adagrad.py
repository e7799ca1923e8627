"""Adagrad: per-coordinate step sizes that shrink with the sum of squared gradients (PyTorch's form).

Layer L6 (imports optimizer.py only). With d the gradient (negated when maximizing, plus
weight_decay * p) and t the step count, matching torch.optim.Adagrad:

    lr_t = lr / (1 + (t - 1) * lr_decay)
    s <- s + d * d                 (s starts at initial_accumulator_value)
    p <- p - lr_t * d / (sqrt(s) + eps)

The book's AdaGrad (h <- h + g*g; W <- W - lr g / (sqrt(h) + 1e-7), lr 0.01) is in book.py: the
same rule with eps=1e-7 and no decay options. See docs/nn_and_optim.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._steps import lr_over_root_
from .optimizer import Optimizer, ParamsT, regularized_gradient
from .validation import ARRAY, COUNT


class Adagrad(Optimizer):
    """torch.optim.Adagrad: lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10."""

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if lr_decay < 0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if initial_accumulator_value < 0:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if eps < 0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str]:
        """step and the running sum of squared gradients."""
        return {"step": COUNT, "sum": ARRAY}

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        d = regularized_gradient(grad, param, group["weight_decay"], group["maximize"])
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] = step = state["step"] + 1
        total = state["sum"]
        np.multiply(d, d, out=work)
        total += work
        param -= lr_over_root_(d, total, group["eps"], group["lr"] / (1 + (step - 1) * group["lr_decay"]), work)
