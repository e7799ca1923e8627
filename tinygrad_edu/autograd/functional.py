"""torch.autograd.functional: derivatives of a whole function at a point, in one call.

Layer L4: it lives in the autograd package for PyTorch's import path, but it builds tensors, so
it sits with functional and checking (autograd/__init__.py never imports it; the package root
does). `vjp` gives v^T J with one backward pass, `jvp` gives J v by the double-backward trick
(two backward passes, as PyTorch does), `jacobian` the whole J, row by row with backward
("reverse-mode": m passes for m outputs) or column by column with tangents ("forward-mode": n
passes for n inputs), `hessian` the second derivatives of a scalar function, and `vhp`/`hvp`
one product with the Hessian. Inputs and outputs are a Tensor or a tuple of Tensors, and every
result is nested exactly as PyTorch nests it (the plumbing: functional_args.py). See
docs/forward_and_reverse.md.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from .._tensor import Tensor, stack
from .forward_ad import dual_level, make_dual, unpack_dual
from .functional_args import (as_tuple, check_requires_grad, finish, fresh, gradients_of, unpack, validated_v,
                              zeros_for_missing)

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

Inputs = Tensor | tuple[Tensor, ...]
STRATEGIES = ("forward-mode", "reverse-mode")


def vjp(func: Callable[..., Any], inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass."""
    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", "vjp")
        inputs = fresh(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            v = validated_v(v, outputs, outputs_tuple, "vjp", create_graph)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        found = gradients_of(outputs, inputs, v, create_graph)
        result = zeros_for_missing(found, inputs, strict, create_graph, "back")
    return unpack(finish(outputs, create_graph), outputs_tuple), unpack(finish(result, create_graph), inputs_tuple)


def jvp(func: Callable[..., Any], inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product by the double-backward trick.

    u -> J^T u is linear in u, so differentiating <J^T u, v> with respect to u gives J v
    (forward_ad.make_dual gets it in one forward pass instead).
    """
    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", "jvp")
        inputs = fresh(inputs, create_graph, need_graph=True)
        if v is not None:
            v = validated_v(v, inputs, inputs_tuple, "jvp", create_graph)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        outputs_tuple, outputs = as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        check_requires_grad(outputs, "outputs", strict)
        # J^T u is linear in u: its value at u = 0 does not matter, only its graph does.
        cotangents = tuple(Tensor(np.zeros(out.shape, dtype=out.dtype), requires_grad=True) for out in outputs)
        grad_inputs = gradients_of(outputs, inputs, cotangents, create_graph=True)
        check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        found = gradients_of(grad_inputs, cotangents, v, create_graph)
        result = zeros_for_missing(found, outputs, strict, create_graph, "back_trick")
    return unpack(finish(outputs, create_graph), outputs_tuple), unpack(finish(result, create_graph), outputs_tuple)


def jacobian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """d func(inputs) / d inputs; entry `[i][j]` has shape outputs[i].shape + inputs[j].shape.

    "reverse-mode" runs one backward pass per output element, "forward-mode" one forward pass
    per input element: pick the side with fewer elements. `vectorize` is accepted for PyTorch
    compatibility; the passes run one after another either way (docs/differences.md).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got {strategy!r}. '
                         'Hint: If your function has more outputs than inputs, "forward-mode" tends to be more '
                         'performant. Otherwise, prefer to use "reverse-mode".')
    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", "jacobian")
        inputs = fresh(inputs, create_graph, need_graph=strategy == "reverse-mode" or create_graph)
        if strategy == "forward-mode":
            outputs_tuple, outputs, blocks = _jacobian_by_columns(func, inputs, strict)
        else:
            outputs_tuple, outputs, blocks = _jacobian_by_rows(func, inputs, create_graph, strict)
        jac = tuple(tuple(finish(row, create_graph)) for row in blocks)
    return unpack(jac, (outputs_tuple, inputs_tuple))


def hessian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The second derivatives of a scalar function; entry `[i][j]` has shape inputs[i].shape + inputs[j].shape.

    The Jacobian of the gradient: the inner gradient is always reverse mode (create_graph=True),
    the outer Jacobian reverse ("reverse-over-reverse") or forward ("forward-over-reverse").
    """
    inputs_tuple, inputs = as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in STRATEGIES:
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got '
                         f"{outer_jacobian_strategy!r}.")

    def scalar_output(*xs: Tensor) -> Tensor:
        out = func(*xs)
        out_tuple, outs = as_tuple(out, "outputs of the user-provided function", "hessian")
        check_requires_grad(outs, "outputs", strict)
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        scalar: Tensor = out.reshape(())
        return scalar

    def gradient(*xs: Tensor) -> tuple[Tensor, ...]:
        if outer_jacobian_strategy == "forward-mode":
            xs = tuple(x.requires_grad_(True) if x.is_leaf else x for x in xs)  # the inner pass needs a graph
        jac: tuple[Tensor, ...] = jacobian(scalar_output, xs, create_graph=True)  # one entry per input: a tuple
        check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return unpack(result, (inputs_tuple, inputs_tuple))


def vhp(func: Callable[..., Any], inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T H) for a scalar function: the gradient of <grad func, v>, two backward passes."""
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func: Callable[..., Any], inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), H v) for a scalar function (H is symmetric, so this equals vhp; computed as
    PyTorch does, by the double-backward trick on the gradient)."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(caller: str, func: Callable[..., Any], inputs: Inputs, v: Inputs | None, create_graph: bool,
                     strict: bool) -> tuple[Any, Any]:
    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", caller)
        inputs = fresh(inputs, create_graph, need_graph=True)
        if v is not None:
            v = validated_v(v, inputs, inputs_tuple, caller, create_graph)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        outputs_tuple, outputs = as_tuple(func(*inputs), "outputs of the user-provided function", caller)
        check_requires_grad(outputs, "outputs", strict)
        if outputs_tuple:
            raise RuntimeError(f"The function given to {caller} should return a single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {caller} should contain a single element")
        jac = gradients_of(outputs, inputs, None, create_graph=True)
        check_requires_grad(jac, "jacobian", strict)
        if caller == "hvp":
            cotangents = tuple(Tensor(np.zeros(x.shape, dtype=x.dtype), requires_grad=True) for x in inputs)
            double_back = gradients_of(jac, inputs, cotangents, create_graph=True)
            check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        if caller == "hvp":
            found = gradients_of(double_back, cotangents, v, create_graph)
            result = zeros_for_missing(found, inputs, strict, create_graph, "double_back_trick")
        else:
            found = gradients_of(jac, inputs, v, create_graph)
            result = zeros_for_missing(found, inputs, strict, create_graph, "double_back")
    return unpack(finish(outputs, create_graph), outputs_tuple), unpack(finish(result, create_graph), inputs_tuple)


def _jacobian_by_rows(func: Callable[..., Any], inputs: tuple[Tensor, ...], create_graph: bool,
                      strict: bool) -> tuple[bool, tuple[Tensor, ...], list[list[Tensor]]]:
    """Reverse mode: one backward pass per output element, seeded with a unit cotangent."""
    outputs_tuple, outputs = as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
    check_requires_grad(outputs, "outputs", strict)
    blocks = []
    for i, out in enumerate(outputs):
        rows: list[list[Tensor]] = [[] for _ in inputs]
        for j in range(out.numel()):
            seed = np.zeros(out.numel(), dtype=out.dtype)
            seed[j] = 1
            row = gradients_of((out,), inputs, (Tensor(seed.reshape(out.shape)),), create_graph, retain_graph=True)
            for k, (x, g) in enumerate(zip(inputs, row)):
                if g is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is independent of input {k}. "
                                           "This is not allowed in strict mode.")
                    g = Tensor(np.zeros(x.shape, dtype=x.dtype))
                elif strict and create_graph and not g.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                       "This is not allowed in strict mode when create_graph=True.")
                rows[k].append(g)
        blocks.append([_assemble(parts, out.shape, x.shape, x.dtype, axis=0) for parts, x in zip(rows, inputs)])
    return outputs_tuple, outputs, blocks


def _jacobian_by_columns(func: Callable[..., Any], inputs: tuple[Tensor, ...],
                         strict: bool) -> tuple[bool, tuple[Tensor, ...], list[list[Tensor]]]:
    """Forward mode: one forward pass per input element, that element's tangent set to 1."""
    columns: list[list[list[Tensor]]] | None = None
    outputs: tuple[Tensor, ...]
    outputs_tuple, outputs = False, ()
    with dual_level():
        for k, x in enumerate(inputs):
            for j in range(max(x.numel(), 1 if k == 0 else 0)):  # at least one pass, to see the outputs
                direction = np.zeros(x.numel(), dtype=x.dtype)
                if x.numel():
                    direction[j] = 1
                duals = [make_dual(y, Tensor(direction.reshape(x.shape))) if y is x else y for y in inputs]
                outputs_tuple, results = as_tuple(func(*duals), "outputs of the user-provided function", "jacobian")
                unpacked = [unpack_dual(out) for out in results]
                outputs = tuple(primal for primal, _ in unpacked)
                if columns is None:
                    columns = [[[] for _ in inputs] for _ in outputs]
                if not x.numel():
                    continue
                for i, (primal, tangent) in enumerate(unpacked):
                    if tangent is None:
                        tangent = Tensor(np.zeros(primal.shape, dtype=primal.dtype))
                    columns[i][k].append(tangent)
    if strict:
        for i, per_input in enumerate(columns or []):
            for k, parts in enumerate(per_input):
                if parts and not any(np.any(part.data) for part in parts):
                    raise RuntimeError(f"Output {i} of the user-provided function is independent of input {k}. "
                                       "This is not allowed in strict mode.")
    blocks = [[_assemble(parts, out.shape, x.shape, out.dtype, axis=-1) for parts, x in zip(per_input, inputs)]
              for out, per_input in zip(outputs, columns or [])]
    return outputs_tuple, outputs, blocks


def _assemble(parts: list[Tensor], out_shape: tuple[int, ...], in_shape: tuple[int, ...], dtype: Any,
              axis: int) -> Tensor:
    """Rows (axis 0, one per output element) or columns (axis -1, one per input element) as one block."""
    shape = tuple(out_shape) + tuple(in_shape)
    if not parts:
        return Tensor(np.zeros(shape, dtype=dtype))
    flat = [p.reshape(-1) for p in parts]
    return stack(flat, dim=axis).reshape(shape)
