"""The book's optimizers (DLfS ch. 6), each next to its formula, with the book's defaults.

Layer L6 (imports optimizer.py only). These keep the book's state and sign conventions, so a
reader can line them up with common/optimizer.py; they share the Optimizer base (param groups,
state_dict, zero_grad) with the PyTorch forms. Plain SGD is the same in both worlds: use SGD.
What differs from PyTorch, and when the two agree, is tabulated in docs/nn_and_optim.md:

    Momentum:  v <- a v - lr g;  W <- W + v                         (PyTorch: b <- a b + g; W <- W - lr b)
    Nesterov:  v <- a v - lr g;  W <- W + a a v - (1 + a) lr g      (new v; PyTorch's form uses the old v)
    AdaGrad:   h <- h + g g;     W <- W - lr g / (sqrt(h) + 1e-7)
    RMSProp:   h <- d h + (1 - d) g g;  W <- W - lr g / (sqrt(h) + 1e-7)

The book's Adam is `Adam(params, convention="book")` in adam.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._steps import lr_over_root_, moving_average_of_square_
from .optimizer import Optimizer, ParamsT
from .validation import ARRAY


def _check(lr: float, **others: float) -> None:
    if lr < 0:
        raise ValueError(f"Invalid learning rate: {lr}")
    for name, value in others.items():
        if value < 0:
            raise ValueError(f"Invalid {name} value: {value}")


class Momentum(Optimizer):
    """v <- momentum * v - lr * g;  W <- W + v   (v starts at 0; lr=0.01, momentum=0.9)."""

    def __init__(self, params: ParamsT, lr: float = 0.01, momentum: float = 0.9) -> None:
        _check(lr, momentum=momentum)
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str]:
        """The book keeps one array per parameter: velocity."""
        return {"velocity": ARRAY}

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        if not state:
            state["velocity"] = np.zeros_like(param)
        velocity = state["velocity"]
        velocity *= group["momentum"]
        np.multiply(grad, group["lr"], out=work)
        velocity -= work
        param += velocity


class Nesterov(Optimizer):
    """v <- momentum * v - lr * g;  W <- W + momentum^2 * v - (1 + momentum) * lr * g.

    Exactly the book's code (common/optimizer.py), which uses v *after* its update in the
    second line. Bengio et al.'s rewrite of Nesterov's method, which PyTorch's
    SGD(nesterov=True) follows, uses v from *before* the update, so the two take different
    steps from the very first one; use SGD(nesterov=True) for the published method.
    """

    def __init__(self, params: ParamsT, lr: float = 0.01, momentum: float = 0.9) -> None:
        _check(lr, momentum=momentum)
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str]:
        """The book keeps one array per parameter: velocity."""
        return {"velocity": ARRAY}

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        lr, momentum = group["lr"], group["momentum"]
        if not state:
            state["velocity"] = np.zeros_like(param)
        velocity = state["velocity"]
        velocity *= momentum
        np.multiply(grad, lr, out=work)
        velocity -= work
        np.multiply(velocity, momentum * momentum, out=work)
        param += work
        np.multiply(grad, (1 + momentum) * lr, out=work)
        param -= work


class AdaGrad(Optimizer):
    """h <- h + g * g;  W <- W - lr * g / (sqrt(h) + eps)   (lr=0.01, eps=1e-7 outside the root)."""

    def __init__(self, params: ParamsT, lr: float = 0.01, eps: float = 1e-7) -> None:
        _check(lr, epsilon=eps)
        super().__init__(params, dict(lr=lr, eps=eps))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str]:
        """The book keeps one array per parameter: h."""
        return {"h": ARRAY}

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        if not state:
            state["h"] = np.zeros_like(param)
        h = state["h"]
        np.multiply(grad, grad, out=work)
        h += work  # h <- h + g * g
        param -= lr_over_root_(grad, h, group["eps"], group["lr"], work)


class RMSProp(Optimizer):
    """h <- decay_rate * h + (1 - decay_rate) * g * g;  W <- W - lr * g / (sqrt(h) + eps).

    The book's defaults: lr=0.01, decay_rate=0.99, eps=1e-7 (h starts at 0).
    """

    def __init__(self, params: ParamsT, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7) -> None:
        _check(lr, decay_rate=decay_rate, epsilon=eps)
        super().__init__(params, dict(lr=lr, decay_rate=decay_rate, eps=eps))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str]:
        """The book keeps one array per parameter: h."""
        return {"h": ARRAY}

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        decay_rate = group["decay_rate"]
        if not state:
            state["h"] = np.zeros_like(param)
        h = state["h"]
        moving_average_of_square_(h, grad, decay_rate, work)
        param -= lr_over_root_(grad, h, group["eps"], group["lr"], work)

