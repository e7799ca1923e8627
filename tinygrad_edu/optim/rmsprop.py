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

from collections.abc import Callable
from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, regularized_gradient


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

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            weight_decay, centered, maximize = group["weight_decay"], group["centered"], group["maximize"]
            regularize = weight_decay or maximize
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p.data
                d = regularized_gradient(grad.data, param, weight_decay, maximize) if regularize else grad.data
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(param)
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(param)
                    if centered:
                        state["grad_avg"] = np.zeros_like(param)
                state["step"] += 1
                square_avg = state["square_avg"]
                work = self._scratch(param)
                square_avg *= alpha
                np.multiply(d, d, out=work)
                work *= 1 - alpha
                square_avg += work
                if centered:
                    grad_avg = state["grad_avg"]
                    np.subtract(d, grad_avg, out=work)
                    work *= 1 - alpha
                    grad_avg += work
                    np.multiply(grad_avg, grad_avg, out=work)
                    np.subtract(square_avg, work, out=work)
                    np.sqrt(work, out=work)
                else:
                    np.sqrt(square_avg, out=work)
                work += eps
                np.divide(d, work, out=work)
                if momentum > 0:
                    buffer = state["momentum_buffer"]
                    buffer *= momentum
                    buffer += work
                    np.multiply(buffer, -lr, out=work)
                else:
                    work *= -lr
                param += work
        return loss
