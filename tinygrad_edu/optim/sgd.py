"""SGD: stochastic gradient descent with PyTorch's momentum, dampening, Nesterov and weight decay.

Layer L6 (imports optimizer.py only). The update, with d the gradient (negated when maximizing,
plus weight_decay * p), matches torch.optim.SGD step for step:

    b <- d                         on the first step with momentum
    b <- momentum * b + (1 - dampening) * d     afterwards
    d <- d + momentum * b  (nesterov)   or   d <- b  (plain momentum)
    p <- p - lr * d

The book's Momentum (v <- a v - lr g; p <- p + v) lives in book.py; at a constant lr both give
the same trajectory with v = -lr * b. See docs/nn_and_optim.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, regularized_gradient
from .validation import OPTIONAL_ARRAY


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum, as torch.optim.SGD (same defaults)."""

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"Nesterov momentum requires a momentum and zero dampening, "
                             f"got momentum={momentum}, dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str]:
        """The momentum buffer (None or absent before the first step, as PyTorch saves it)."""
        return {"momentum_buffer": OPTIONAL_ARRAY}

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        d = regularized_gradient(grad, param, group["weight_decay"], group["maximize"])
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(d, dtype=param.dtype)
            else:
                buffer *= momentum
                if dampening:
                    np.multiply(d, 1 - dampening, out=work)
                    buffer += work
                else:
                    buffer += d
            if group["nesterov"]:
                np.multiply(buffer, momentum, out=work)
                work += d
                d = work
            else:
                d = buffer
        np.multiply(d, -lr, out=work)
        param += work
