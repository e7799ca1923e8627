"""How torch.autograd.functional takes and gives tensors: tuples, fresh inputs, strict errors.

Layer L4, with autograd.functional (it builds tensors). A Tensor or a tuple of Tensors in, the
same nesting out (`as_tuple` / `unpack`); the inputs as new tensor objects, so the function's
own captured tensors are told apart (`fresh`); `v` checked against what it multiplies; gradients
over the outputs that require grad, None for an unused input; and, with strict=True, PyTorch's
errors for a result that cannot depend on an input. See docs/forward_and_reverse.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from .engine import grad as autograd_grad
from .forward_ad import Alias

def as_tuple(value: Any, what: str, caller: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether value was a tuple, the tensors as a tuple), or a TypeError naming the first non-Tensor."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for index, item in enumerate(values):
        if not isinstance(item, Tensor):
            where = (f"the value at index {index} has type {type(item).__name__}" if is_tuple
                     else f"the given {what} has type {type(item).__name__}")
            raise TypeError(f"The {what} given to {caller} must be either a Tensor or a tuple of Tensors but {where}.")
    return is_tuple, values


def unpack(result: Any, was_tuple: bool | tuple[bool, bool]) -> Any:
    """Undo as_tuple: a single Tensor for a single input/output (both levels for a Jacobian)."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(row[0] for row in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def fresh(inputs: Sequence[Tensor], create_graph: bool, need_graph: bool) -> tuple[Tensor, ...]:
    """New tensor objects for the inputs, so they differ from the same tensors captured by func:
    a differentiable alias when create_graph keeps their history, a detached leaf otherwise."""
    fresh_inputs: tuple[Tensor, ...] = tuple(
        Alias.apply(x) if create_graph and x.requires_grad else x.detach().requires_grad_(need_graph) for x in inputs)
    return fresh_inputs


def finish(tensors: Sequence[Tensor], create_graph: bool) -> tuple[Tensor, ...]:
    """Results without history unless create_graph asked for it."""
    return tuple(tensors) if create_graph else tuple(t.detach() for t in tensors)


def validated_v(v: Tensor | tuple[Tensor, ...], like: tuple[Tensor, ...], like_tuple: bool, caller: str,
                 create_graph: bool) -> tuple[Tensor, ...]:
    _, v = as_tuple(v, "v", caller)
    v = fresh(v, create_graph, need_graph=False)
    if len(v) != len(like):
        if like_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for index, (given, reference) in enumerate(zip(v, like)):
        if given.shape != reference.shape:
            prefix = f"Entry {index} in " if like_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {reference.shape} but got {given.shape}.")
    return v


def gradients_of(outputs: Sequence[Tensor | None], inputs: Sequence[Tensor],
                 grad_outputs: Sequence[Tensor | None] | None, create_graph: bool,
                 retain_graph: bool | None = None) -> tuple[Tensor | None, ...]:
    """autograd.grad over the outputs that require grad (None outputs skipped); None per unused input."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return autograd_grad([out for out, _ in pairs], list(inputs), [g for _, g in pairs], retain_graph=retain_graph,
                         create_graph=create_graph, allow_unused=True)


def check_requires_grad(tensors: Sequence[Tensor | None], kind: str, strict: bool) -> None:
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


def zeros_for_missing(gradients: Sequence[Tensor | None], like: Sequence[Tensor], strict: bool, create_graph: bool,
                       stage: str) -> tuple[Tensor, ...]:
    """None gradients become zeros (or, in strict mode, an error saying which input is unused)."""
    result = []
    for i, (g, reference) in enumerate(zip(gradients, like)):
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
