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

from collections.abc import Callable
from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, regularized_gradient


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

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            regularize = weight_decay or maximize
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p.data
                d = regularized_gradient(grad.data, param, weight_decay, maximize) if regularize else grad.data
                work = self._scratch(param)
                if momentum:
                    state = self.state[p]
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
                    if nesterov:
                        np.multiply(buffer, momentum, out=work)
                        work += d
                        d = work
                    else:
                        d = buffer
                np.multiply(d, -lr, out=work)
                param += work
        return loss
