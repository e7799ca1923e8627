"""torch.autograd.functional: derivatives of a whole function at a point, in one call.

Layer L4: it lives in the autograd package for PyTorch's import path, but it builds tensors, so
it sits with functional and checking (autograd/__init__.py never imports it; the package root
does). `vjp` gives v^T J with one backward pass, `jvp` gives J v by the double-backward trick
(two backward passes, as PyTorch does), `jacobian` the whole J, row by row with backward
("reverse-mode": m passes for m outputs) or column by column with tangents ("forward-mode": n
passes for n inputs), `hessian` the second derivatives of a scalar function, and `vhp`/`hvp`
one product with the Hessian. Inputs and outputs are a Tensor or a tuple of Tensors, and every
result is nested exactly as PyTorch nests it. See docs/forward_and_reverse.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from ..tensor import Tensor, stack
from .engine import grad as autograd_grad
from .forward_ad import Alias, dual_level, make_dual, unpack_dual

Inputs = Tensor | tuple[Tensor, ...]
STRATEGIES = ("forward-mode", "reverse-mode")


def vjp(func: Callable[..., Any], inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            v = _validated_v(v, outputs, outputs_tuple, "vjp", create_graph)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grads(outputs, inputs, v, create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "back")
    return _unpack(_finish(outputs, create_graph), outputs_tuple), _unpack(_finish(result, create_graph), inputs_tuple)


def jvp(func: Callable[..., Any], inputs: Inputs, v: Inputs | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product by the double-backward trick.

    u -> J^T u is linear in u, so differentiating <J^T u, v> with respect to u gives J v
    (forward_ad.make_dual gets it in one forward pass instead).
    """
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        if v is not None:
            v = _validated_v(v, inputs, inputs_tuple, "jvp", create_graph)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # J^T u is linear in u: its value at u = 0 does not matter, only its graph does.
        cotangents = tuple(Tensor(np.zeros(out.shape, dtype=out.dtype), requires_grad=True) for out in outputs)
        grad_inputs = _grads(outputs, inputs, cotangents, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grads(grad_inputs, cotangents, v, create_graph)
        result = _zeros_for_missing(grads, outputs, strict, create_graph, "back_trick")
    return _unpack(_finish(outputs, create_graph), outputs_tuple), _unpack(_finish(result, create_graph), outputs_tuple)


def jacobian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """d func(inputs) / d inputs; entry [i][j] has shape outputs[i].shape + inputs[j].shape.

    "reverse-mode" runs one backward pass per output element, "forward-mode" one forward pass
    per input element: pick the side with fewer elements. `vectorize` is accepted for PyTorch
    compatibility; the passes run one after another either way (docs/differences.md).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got {strategy!r}. '
                         'Hint: If your function has more outputs than inputs, "forward-mode" tends to be more '
                         'performant. Otherwise, prefer to use "reverse-mode".')
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=strategy == "reverse-mode" or create_graph)
        if strategy == "forward-mode":
            outputs_tuple, outputs, blocks = _jacobian_by_columns(func, inputs, strict)
        else:
            outputs_tuple, outputs, blocks = _jacobian_by_rows(func, inputs, create_graph, strict)
        jac = tuple(tuple(_finish(row, create_graph)) for row in blocks)
    return _unpack(jac, (outputs_tuple, inputs_tuple))


def hessian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The second derivatives of a scalar function; entry [i][j] has shape inputs[i].shape + inputs[j].shape.

    The Jacobian of the gradient: the inner gradient is always reverse mode (create_graph=True),
    the outer Jacobian reverse ("reverse-over-reverse") or forward ("forward-over-reverse").
    """
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in STRATEGIES:
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got '
                         f"{outer_jacobian_strategy!r}.")

    def scalar_output(*xs: Tensor) -> Tensor:
        out = func(*xs)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.reshape(())

    def gradient(*xs: Tensor) -> tuple[Tensor, ...]:
        if outer_jacobian_strategy == "forward-mode":
            xs = tuple(x.requires_grad_(True) if x.is_leaf else x for x in xs)  # the inner pass needs a graph
        jac = jacobian(scalar_output, xs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return _unpack(result, (inputs_tuple, inputs_tuple))


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
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", caller)
        inputs = _fresh(inputs, create_graph, need_graph=True)
        if v is not None:
            v = _validated_v(v, inputs, inputs_tuple, caller, create_graph)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", caller)
        _check_requires_grad(outputs, "outputs", strict)
        if outputs_tuple:
            raise RuntimeError(f"The function given to {caller} should return a single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {caller} should contain a single element")
        jac = _grads(outputs, inputs, None, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        if caller == "hvp":
            cotangents = tuple(Tensor(np.zeros(x.shape, dtype=x.dtype), requires_grad=True) for x in inputs)
            double_back = _grads(jac, inputs, cotangents, create_graph=True)
            _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        if caller == "hvp":
            grads = _grads(double_back, cotangents, v, create_graph)
            result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back_trick")
        else:
            grads = _grads(jac, inputs, v, create_graph)
            result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back")
    return _unpack(_finish(outputs, create_graph), outputs_tuple), _unpack(_finish(result, create_graph), inputs_tuple)


def _jacobian_by_rows(func: Callable[..., Any], inputs: tuple[Tensor, ...], create_graph: bool,
                      strict: bool) -> tuple[bool, tuple[Tensor, ...], list[list[Tensor]]]:
    """Reverse mode: one backward pass per output element, seeded with a unit cotangent."""
    outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
    _check_requires_grad(outputs, "outputs", strict)
    blocks = []
    for i, out in enumerate(outputs):
        rows: list[list[Tensor]] = [[] for _ in inputs]
        for j in range(out.numel()):
            seed = np.zeros(out.numel(), dtype=out.dtype)
            seed[j] = 1
            row = _grads((out,), inputs, (Tensor(seed.reshape(out.shape)),), create_graph, retain_graph=True)
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
    outputs_tuple, outputs = False, ()
    with dual_level():
        for k, x in enumerate(inputs):
            for j in range(max(x.numel(), 1 if k == 0 else 0)):  # at least one pass, to see the outputs
                direction = np.zeros(x.numel(), dtype=x.dtype)
                if x.numel():
                    direction[j] = 1
                duals = [make_dual(y, Tensor(direction.reshape(x.shape))) if y is x else y for y in inputs]
                outputs_tuple, results = _as_tuple(func(*duals), "outputs of the user-provided function", "jacobian")
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


def _as_tuple(value: Any, what: str, caller: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether value was a tuple, the tensors as a tuple), or a TypeError naming the first non-Tensor."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for index, item in enumerate(values):
        if not isinstance(item, Tensor):
            where = (f"the value at index {index} has type {type(item).__name__}" if is_tuple
                     else f"the given {what} has type {type(item).__name__}")
            raise TypeError(f"The {what} given to {caller} must be either a Tensor or a tuple of Tensors but {where}.")
    return is_tuple, values


def _unpack(result: Any, was_tuple: bool | tuple[bool, bool]) -> Any:
    """Undo _as_tuple: a single Tensor for a single input/output (both levels for a Jacobian)."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(row[0] for row in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def _fresh(inputs: Sequence[Tensor], create_graph: bool, need_graph: bool) -> tuple[Tensor, ...]:
    """New tensor objects for the inputs, so they differ from the same tensors captured by func:
    a differentiable alias when create_graph keeps their history, a detached leaf otherwise."""
    return tuple(Alias.apply(x) if create_graph and x.requires_grad else x.detach().requires_grad_(need_graph)
                 for x in inputs)


def _finish(tensors: Sequence[Tensor], create_graph: bool) -> tuple[Tensor, ...]:
    """Results without history unless create_graph asked for it."""
    return tuple(tensors) if create_graph else tuple(t.detach() for t in tensors)


def _validated_v(v: Any, like: tuple[Tensor, ...], like_tuple: bool, caller: str,
                 create_graph: bool) -> tuple[Tensor, ...]:
    _, v = _as_tuple(v, "v", caller)
    v = _fresh(v, create_graph, need_graph=False)
    if len(v) != len(like):
        if like_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for index, (given, reference) in enumerate(zip(v, like)):
        if given.shape != reference.shape:
            prefix = f"Entry {index} in " if like_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {reference.shape} but got {given.shape}.")
    return v


def _grads(outputs: Sequence[Tensor | None], inputs: Sequence[Tensor], grad_outputs: Sequence[Tensor] | None,
           create_graph: bool, retain_graph: bool | None = None) -> tuple[Tensor | None, ...]:
    """autograd.grad over the outputs that require grad (None outputs skipped); None per unused input."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return autograd_grad([out for out, _ in pairs], list(inputs), [g for _, g in pairs], retain_graph=retain_graph,
                         create_graph=create_graph, allow_unused=True)


def _check_requires_grad(tensors: Sequence[Tensor | None], kind: str, strict: bool) -> None:
    """In strict mode, refuse results that cannot depend on the inputs (PyTorch's messages)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode.")
        if t.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(f"The hessian of the user-provided function with respect to input {i} is independent "
                               "of the input. This is not allowed in strict mode. You should ensure that your "
                               "function is thrice differentiable and that the hessian depends on the inputs.")
        if kind == "jacobian":
            raise RuntimeError("While computing the hessian, found that the jacobian of the user-provided function "
                               f"with respect to input {i} is independent of the input. This is not allowed in "
                               "strict mode. You should ensure that your function is twice differentiable and that "
                               "the jacobian depends on the inputs (this would be violated by a linear function "
                               "for example).")
        if kind == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.")
        raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs must "
                           "be computed in a differentiable manner from the input when running in strict mode.")


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed "
                   "in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _zeros_for_missing(grads: Sequence[Tensor | None], like: Sequence[Tensor], strict: bool, create_graph: bool,
                       stage: str) -> tuple[Tensor, ...]:
    """None gradients become zeros (or, in strict mode, an error saying which input is unused)."""
    result = []
    for i, (g, reference) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = Tensor(np.zeros(reference.shape, dtype=reference.dtype))
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        result.append(g)
    return tuple(result)
