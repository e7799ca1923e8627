"""Adam and AdamW, in PyTorch's form or the book's (convention="book").

Layer L6 (imports optimizer.py only). With d the gradient (negated when maximizing; plus
weight_decay * p for Adam's L2 form) and t the step count:

    m <- beta1 * m + (1 - beta1) * d
    v <- beta2 * v + (1 - beta2) * d * d          (amsgrad: v_max <- max(v_max, v), used below)
    "pytorch":  p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    "book":     p <- p - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)

The two differ only in where eps sits: PyTorch adds it to the root of the bias-corrected v, the
book (DLfS and DeZero) to the root of the uncorrected v, so the book's eps is effectively larger
by 1/sqrt(1 - beta2^t) early in training. DLfS itself uses eps=1e-7; pass it to match its
numbers to the last digit. AdamW decouples the decay: p <- p * (1 - lr * weight_decay) before
the step, and d stays the plain gradient. See docs/nn_and_optim.md.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._steps import lr_over_root_, moving_average_, moving_average_of_square_
from .optimizer import Optimizer, ParamsT, regularized_gradient
from .validation import ARRAY, COUNT

CONVENTIONS = ("pytorch", "book")


class Adam(Optimizer):
    """torch.optim.Adam (lr=1e-3, betas=(0.9, 0.999), eps=1e-8), plus the book's eps placement."""

    extra_hyperparameters = ("convention",)
    hyperparameter_choices = {"convention": CONVENTIONS}

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False, convention: str = "pytorch") -> None:
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {index}: {beta} (betas must lie in [0, 1))")
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay, convention=convention))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str]:
        """step and the two moments (and their running maximum with amsgrad)."""
        spec = {"step": COUNT, "exp_avg": ARRAY, "exp_avg_sq": ARRAY}
        return {**spec, "max_exp_avg_sq": ARRAY} if group["amsgrad"] else spec

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        if group["decoupled_weight_decay"]:
            if weight_decay:
                param *= 1 - lr * weight_decay
            weight_decay = 0.0  # decoupled: d stays the plain gradient
        d = regularized_gradient(grad, param, weight_decay, group["maximize"])
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] = step = state["step"] + 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        moving_average_(exp_avg, d, 1 - beta1, work)  # m: EMA of g
        moving_average_of_square_(exp_avg_sq, d, beta2, work)  # v: EMA of g^2
        if group["amsgrad"]:
            second = state["max_exp_avg_sq"]
            np.maximum(second, exp_avg_sq, out=second)
        else:
            second = exp_avg_sq
        bias_correction1 = 1 - beta1 ** step
        root_correction2 = math.sqrt(1 - beta2 ** step)
        if group["convention"] == "book":  # eps beside the root of the uncorrected v
            lr_over_root_(exp_avg, second, group["eps"], lr * root_correction2 / bias_correction1, work)
        else:  # eps beside the root of the bias-corrected v
            lr_over_root_(exp_avg, second, group["eps"], lr / bias_correction1, work, root_scale=root_correction2)
        param -= work

class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay, default weight_decay=1e-2."""

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 convention: str = "pytorch") -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, convention=convention)
