"""nn.init: fill a weight tensor in place with PyTorch's initialisation schemes.

Layer L5. Each function writes into `tensor.data` (no graph is recorded, as under torch's
no_grad) and returns the tensor. Fans follow PyTorch: for a weight of shape (out, in, *k),
fan_in = in * prod(k) and fan_out = out * prod(k), so a Linear weight (out, in) has fan_in = in.
Every random draw comes from `tinygrad_edu.random.generator()`, so `manual_seed` fixes it.

The book's names map onto these (docs/nn.md): its "Xavier" init, std sqrt(1/n), is
`kaiming_normal_(w, nonlinearity="linear")`, and its "He" init, std sqrt(2/n), is
`kaiming_normal_(w, nonlinearity="relu")`, with n = fan_in. PyTorch's `xavier_normal_` is
Glorot's std sqrt(2/(fan_in + fan_out)), a different number.
"""
from __future__ import annotations

import math

import numpy as np

from .._dtypes import is_floating
from ..random import generator
from .._tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]

_LINEAR_LIKE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through `nonlinearity` (PyTorch's table).

    linear/conv/sigmoid: 1, tanh: 5/3, relu: sqrt(2), leaky_relu: sqrt(2 / (1 + slope^2))
    with slope `param` (default 0.01), selu: 3/4.
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, int | float):
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = tensor.data.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions, "
                         f"got shape {shape}")
    receptive_field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _write(tensor: Tensor, values: np.ndarray | float, what: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(tensor).__name__}")
    if tensor.grad_fn is not None:
        raise RuntimeError(f"{what}: cannot initialise the result of an operation in place; initialise a leaf")
    tensor.data[...] = values  # in place: the tensor (and any optimizer holding it) keeps its identity
    return tensor


def _check_random(tensor: Tensor, what: str) -> None:
    if isinstance(tensor, Tensor) and not is_floating(tensor.data.dtype):
        raise TypeError(f"{what} needs a floating-point tensor, got dtype {tensor.data.dtype}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check_random(tensor, "uniform_")
    if a > b:
        raise ValueError(f"uniform_ expects a <= b, got a={a}, b={b}")
    return _write(tensor, generator().uniform(a, b, size=tensor.data.shape), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _check_random(tensor, "normal_")
    if std < 0:
        raise ValueError(f"normal_ expects std >= 0, got {std}")
    return _write(tensor, generator().normal(mean, std, size=tensor.data.shape), "normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill `tensor` with `val` in place (no gradient recorded); returns it."""
    return _write(tensor, val, "constant_")


def ones_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with ones in place (no gradient recorded); returns it."""
    return _write(tensor, 1, "ones_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with zeros in place (no gradient recorded); returns it."""
    return _write(tensor, 0, "zeros_")


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)) (not the book's "Xavier")."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / max(fan_in + fan_out, 1)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan = _fan(tensor, mode)
    # fan is 0 only for a tensor with no elements, where any std fills nothing (torch: a no-op).
    return calculate_gain(nonlinearity, a) / math.sqrt(max(fan, 1))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-b, b) with b = sqrt(3) * gain / sqrt(fan); `a` is leaky_relu's negative slope."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan).

    The book's inits are special cases with n = fan_in: "Xavier" sqrt(1/n) is
    nonlinearity="linear", "He" sqrt(2/n) is nonlinearity="relu".
    """
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))
