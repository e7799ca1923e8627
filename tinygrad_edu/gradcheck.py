"""Numerical differentiation as a checker: numerical_gradient, gradcheck, gradgradcheck.

Layer L4. Central differences, (f(x + h) - f(x - h)) / 2h, the book's method (ch. 4), computed
in float64 on copies, so the caller's data is never perturbed and integer inputs are not
truncated. gradcheck compares the full Jacobian from backprop with the numerical one, one
output element's row at a time, and names the input, element, and both values when they differ.
See docs/gradcheck.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd.engine import grad as autograd_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when backprop and numerical differentiation disagree."""


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


def _outputs(fn: Callable[..., Any], inputs: Sequence[Tensor]) -> list[Tensor]:
    result = fn(*inputs)
    return list(result) if isinstance(result, tuple | list) else [result]


def _float64_copies(inputs: Sequence[Any]) -> list[Any]:
    copies = []
    for position, x in enumerate(inputs):
        if isinstance(x, Tensor):
            if x.requires_grad and x.dtype.kind != "f":
                raise TypeError(f"gradcheck: input {position} has dtype {x.dtype}; only float inputs can be checked")
            copies.append(Tensor(x.data, dtype=np.float64 if x.dtype.kind == "f" else None,
                                 requires_grad=x.requires_grad))
        else:
            copies.append(x)
    return copies


def _jacobians(fn: Callable[..., Any], inputs: list[Any], eps: float) -> tuple[list[Tensor], list[list[np.ndarray]],
                                                                                   list[list[np.ndarray]]]:
    """Analytic and numerical Jacobians, [output][input] -> (output.size, input.size) arrays."""
    outputs = _outputs(fn, inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    analytic = [[np.zeros((o.data.size, inputs[i].data.size)) for i in checked] for o in outputs]
    numerical = [[np.zeros((o.data.size, inputs[i].data.size)) for i in checked] for o in outputs]
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for row in range(out.data.size):
            seed = np.zeros(out.data.shape)
            seed.reshape(-1)[row] = 1.0
            grads = autograd_grad(out, [inputs[i] for i in checked], seed, retain_graph=True, allow_unused=True)
            for column, g in enumerate(grads):
                if g is not None:
                    analytic[k][column][row] = g.data.reshape(-1)
    for column, i in enumerate(checked):
        flat = inputs[i].data.reshape(-1)
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            upper = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
            flat[j] = original - eps
            lower = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
            flat[j] = original
            for k in range(len(outputs)):
                numerical[k][column][:, j] = (upper[k] - lower[k]) / (2 * eps)
    return outputs, analytic, numerical


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any] | Tensor, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True when backprop matches central differences for every output, input and element.

    Inputs that require grad are checked in float64 copies (the originals are not touched);
    on a mismatch a GradcheckError names output, input, element, and both values.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    copies = _float64_copies(inputs)
    checked = [i for i, x in enumerate(copies) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    _, analytic, numerical = _jacobians(fn, copies, eps)
    for k in range(len(analytic)):
        for column, i in enumerate(checked):
            a, n = analytic[k][column], numerical[k][column]
            bad = ~np.isclose(a, n, rtol=rtol, atol=atol)
            if bad.any():
                row, j = np.argwhere(bad)[0]
                index = np.unravel_index(j, copies[i].shape)
                message = (f"gradcheck: output {k}, input {i}, element {tuple(int(v) for v in index)} "
                           f"(d output[{int(row)}]): analytic {a[row, j]:.6g} vs numerical {n[row, j]:.6g} "
                           f"({int(bad.sum())} of {bad.size} Jacobian entries differ)")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Sequence[Any] | Tensor, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """gradcheck of the first derivatives: checks the backward of backward (second order).

    The first derivatives are taken against a fixed random cotangent, so every output element
    counts, then those gradients are checked by gradcheck.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    copies = _float64_copies(inputs)
    checked = [i for i, x in enumerate(copies) if isinstance(x, Tensor) and x.requires_grad]
    rng = np.random.default_rng(seed)
    shapes = [o.shape for o in _outputs(fn, copies)]
    cotangents = [rng.standard_normal(shape) for shape in shapes]

    def first_derivatives(*xs: Any) -> tuple[Tensor, ...]:
        outputs = _outputs(fn, list(xs))
        differentiable = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
        grads = autograd_grad([o for o, _ in differentiable], [xs[i] for i in checked],
                              [Tensor(c) for _, c in differentiable], create_graph=True, allow_unused=True)
        return tuple(g if g is not None else xs[i] * 0.0 for g, i in zip(grads, checked))

    return gradcheck(first_derivatives, copies, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
