"""Numerical differentiation: the book's numerical_gradient and the checker's finite differences.

Layer L4 (imports tensor). Central differences, (f(x + h d) - f(x - h d)) / 2h, always on
float64 copies, so the caller's arrays are never perturbed and float32 round-off does not
swamp the step. `directional` also returns the one-sided differences' disagreement, which is
how the checker notices a kink (ReLU at 0, a max tie, a clip bound) within eps. `prepare_inputs`
makes the float64 copies and refuses what cannot be differentiated. See docs/gradcheck.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._tensor import Tensor


def numerical_gradient(f: Callable[[np.ndarray], Any], x: Any, eps: float = 1e-4) -> np.ndarray:
    """d f / d x by central differences for a scalar-valued f of one array (the book's method).

    `f` receives a float64 array (a private copy, perturbed one element at a time) and may
    return a number, an array of one element or a Tensor of one element.
    """
    point = np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64)  # always a float64 copy
    gradient = np.zeros_like(point)
    flat = point.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        upper = _scalar(f(point))
        flat[i] = original - eps
        lower = _scalar(f(point))
        flat[i] = original
        gradient.reshape(-1)[i] = (upper - lower) / (2 * eps)
    return gradient


def _scalar(value: Any) -> float:
    array = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=np.float64)
    if array.size != 1:
        raise ValueError(f"numerical_gradient needs f to return one number, got shape {array.shape}")
    return float(array.reshape(()))


@dataclass
class PreparedInputs:
    """The arguments as the checker passes them: float64 copies of float Tensors, the rest as given."""

    values: list[Any]
    checked: list[int]
    upcast: list[int]
    skipped: list[int]
    upcast_dtypes: list[str]


def prepare_inputs(inputs: Sequence[Any] | Tensor, caller: str = "gradcheck") -> PreparedInputs:
    """Copy every Tensor (float ones to float64); refuse integer inputs and a check with nothing to do."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    values: list[Any] = []
    checked: list[int] = []
    upcast: list[int] = []
    skipped: list[int] = []
    integers: list[int] = []
    for position, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            values.append(x)
            continue
        floating = x.dtype.kind == "f"
        if x.requires_grad and not floating:
            raise TypeError(f"{caller}: input {position} has dtype {x.dtype} and requires grad; only floating-point "
                            "inputs can be differentiated")
        if not floating:
            integers.append(position)
        if floating and x.dtype != np.float64 and x.requires_grad:
            upcast.append(position)
        data = x.data.astype(np.float64) if floating else x.data.copy()
        values.append(Tensor(data, requires_grad=x.requires_grad))
        (checked if x.requires_grad else skipped).append(position)
    if not checked:
        if integers:
            raise TypeError(f"{caller}: input {integers[0]} has integer dtype {inputs[integers[0]].dtype} and no input "
                            "requires grad; integers cannot be differentiated: pass floats, e.g. "
                            "tg.tensor(values, dtype=np.float64, requires_grad=True)")
        raise ValueError(f"{caller}: no input requires grad, so there is nothing to check; create the inputs to "
                         "check with requires_grad=True")
    return PreparedInputs(values, checked, upcast, skipped, [str(inputs[i].dtype) for i in upcast])


def call(fn: Callable[..., Any], values: Sequence[Any]) -> list[Tensor]:
    """fn(*values) as a list of outputs; refuses anything that is not a Tensor."""
    result = fn(*values)
    outputs = list(result) if isinstance(result, tuple | list) else [result]
    for position, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: output {position} of the function is a {type(out).__name__}; "
                            "the function must return a Tensor or a tuple of Tensors")
    return outputs


def evaluate(fn: Callable[..., Any], values: Sequence[Any]) -> list[np.ndarray]:
    """The outputs' values, flattened, in float64."""
    return [out.data.astype(np.float64).reshape(-1) for out in call(fn, values)]


def directional(fn: Callable[..., Any], values: Sequence[Any], base: list[np.ndarray], position: int,
                direction: np.ndarray, h: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Central difference of every output along `direction` of input `position`, and the jump.

    The jump is forward minus backward one-sided difference: about h * f'' where f is smooth,
    about the change of slope (not shrinking with h) where x +/- h crosses a kink.
    """
    flat = values[position].data.reshape(-1)
    original = flat.copy()
    try:
        flat[:] = original + h * direction
        upper = evaluate(fn, values)
        flat[:] = original - h * direction
        lower = evaluate(fn, values)
    finally:
        flat[:] = original  # restore exactly: original + h - h is not always original
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is reported as a cause, not warned about
        central = [(up - down) / (2 * h) for up, down in zip(upper, lower)]
        jump = [((up - b) - (b - down)) / h for up, down, b in zip(upper, lower, base)]
    return central, jump
