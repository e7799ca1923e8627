"""RMSprop: divide by a running root-mean-square of the gradients (PyTorch's form).

Layer L6 (imports optimizer.py only). With d the gradient (negated when maximizing, plus
weight_decay * p), matching torch.optim.RMSprop:

    v <- alpha * v + (1 - alpha) * d * d
    centered:  g_avg <- alpha * g_avg + (1 - alpha) * d;   r = sqrt(v - g_avg^2) + eps
    otherwise: r = sqrt(v) + eps
    momentum > 0:  b <- momentum * b + d / r;   p <- p - lr * b
    otherwise:     p <- p - lr * d / r

The book's RMSProp (decay_rate 0.99, eps 1e-7, no momentum) is in book.py. Note that eps is
added outside the square root, as PyTorch and the book both do. See docs/nn_and_optim.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._steps import moving_average_, moving_average_of_square_
from .optimizer import Optimizer, ParamsT, regularized_gradient
from .validation import ARRAY, COUNT


class RMSprop(Optimizer):
    """torch.optim.RMSprop: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False."""

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str]:
        """step, the average of squares, plus the momentum buffer and the gradient average when used."""
        spec = {"step": COUNT, "square_avg": ARRAY}
        if group["momentum"] > 0:
            spec["momentum_buffer"] = ARRAY
        if group["centered"]:
            spec["grad_avg"] = ARRAY
        return spec

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        d = regularized_gradient(grad, param, group["weight_decay"], group["maximize"])
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        square_avg = state["square_avg"]
        moving_average_of_square_(square_avg, d, alpha, work)  # EMA of g^2
        if group["centered"]:
            grad_avg = state["grad_avg"]
            moving_average_(grad_avg, d, 1 - alpha, work)  # EMA of g
            np.multiply(grad_avg, grad_avg, out=work)
            np.subtract(square_avg, work, out=work)
            np.sqrt(work, out=work)
        else:
            np.sqrt(square_avg, out=work)
        work += group["eps"]
        np.divide(d, work, out=work)
        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += work
            np.multiply(buffer, -group["lr"], out=work)
        else:
            work *= -group["lr"]
        param += work
