"""Tensor methods as functions at the top level: `tg.sin(x)`, `tg.matmul(a, b, out=c)`, `tg.sum(x, 1)`.

Layer L4 (imports tensor). PyTorch offers most Tensor methods twice, `x.sin()` and `torch.sin(x)`;
here the method is the one definition and this module is the table of its function forms: one
line per name, `sin = from_method("sin")`, so `grep "^sin ="` finds it and nothing is pasted
twice. `from_method` passes every argument on to the method; `out=` (where PyTorch has it)
writes the result into an existing tensor. The few functions whose PyTorch signature differs from
the method's (max/min also take a second tensor) are written out below the table. See
docs/pytorch.md.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

import numpy as np

from . import _grad_mode, return_types
from .autograd.function import TensorBase
from ._tensor import Tensor


def from_method(name: str, *, has_out: bool = True) -> Callable[..., Any]:
    """`Tensor.<name>` as the function `tg.<name>(input, *args, **kwargs)`, with `out=` if `has_out`."""
    method = getattr(Tensor, name)
    summary = (method.__doc__ or "").strip().splitlines()[0] if method.__doc__ else f"Tensor.{name}"

    def with_out(input: Tensor, *args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        result = method(_check_input(input, name), *args, **kwargs)
        return result if out is None else write_out(out, result, name)

    def without_out(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        return method(_check_input(input, name), *args, **kwargs)

    function = with_out if has_out else without_out
    call = f"{name}(input, ..., *, out=None)" if has_out else f"{name}(input, ...)"
    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__doc__ = f"{call}: the function form of Tensor.{name}. {summary}"
    return function


def _check_input(input: Any, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input


def write_out(out: Any, result: Tensor, name: str) -> Tensor:
    """Store `result` in the existing tensor `out` (resized if its shape differs) and return `out`."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _grad_mode.local.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if not np.can_cast(result.data.dtype, out.data.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}(): result type {result.data.dtype} can't be cast to the desired output type "
                           f"{out.data.dtype}")
    if out.data.shape == result.data.shape:
        np.copyto(out.data, result.data, casting="same_kind")
    else:
        out.data = result.data.astype(out.data.dtype)
    out._version_counter[0] += 1  # written in place, as PyTorch counts it
    return out


def _write_results(out: Any, result: Any, name: str) -> Any:
    """out= for max/min: one tensor, or a (values, indices) pair when a dim was given."""
    if isinstance(result, Tensor):
        return write_out(out, result, name)
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise TypeError(f"{name}(): with dim, out must be a (values, indices) pair of tensors")
    return type(result)(write_out(out[0], result[0], name), write_out(out[1], result[1], name))


# The table: Tensor method -> top-level function. has_out=False where PyTorch's function has no out=.
abs = from_method("abs")  # noqa: A001 (PyTorch's name)
add = from_method("add")
sub = from_method("sub")
subtract = from_method("sub")
mul = from_method("mul")
multiply = from_method("mul")
div = from_method("div")
divide = from_method("div")
pow = from_method("pow")  # noqa: A001
neg = from_method("neg")
negative = from_method("neg")
square = from_method("square")
exp = from_method("exp")
log = from_method("log")
sqrt = from_method("sqrt")
sin = from_method("sin")
cos = from_method("cos")
tanh = from_method("tanh")
sigmoid = from_method("sigmoid")
relu = from_method("relu", has_out=False)
clamp = from_method("clamp")
clip = from_method("clip")
maximum = from_method("maximum")
minimum = from_method("minimum")
matmul = from_method("matmul")
mm = from_method("mm")
bmm = from_method("bmm")
sum = from_method("sum")  # noqa: A001
mean = from_method("mean")
var = from_method("var")
std = from_method("std")
amax = from_method("amax")
amin = from_method("amin")
logsumexp = from_method("logsumexp")
argmax = from_method("argmax")
argmin = from_method("argmin")
softmax = from_method("softmax", has_out=False)
log_softmax = from_method("log_softmax", has_out=False)
all = from_method("all")  # noqa: A001
any = from_method("any")  # noqa: A001
eq = from_method("eq")
ne = from_method("ne")
lt = from_method("lt")
le = from_method("le")
gt = from_method("gt")
ge = from_method("ge")
equal = from_method("equal", has_out=False)
allclose = from_method("allclose", has_out=False)
isnan = from_method("isnan", has_out=False)
isinf = from_method("isinf", has_out=False)
isfinite = from_method("isfinite", has_out=False)
nan_to_num = from_method("nan_to_num")
reshape = from_method("reshape", has_out=False)
flatten = from_method("flatten", has_out=False)
squeeze = from_method("squeeze", has_out=False)
unsqueeze = from_method("unsqueeze", has_out=False)
permute = from_method("permute", has_out=False)
transpose = from_method("transpose", has_out=False)
swapaxes = from_method("swapaxes", has_out=False)
swapdims = from_method("swapdims", has_out=False)
t = from_method("t", has_out=False)
movedim = from_method("movedim", has_out=False)
broadcast_to = from_method("broadcast_to", has_out=False)
split = from_method("split", has_out=False)
chunk = from_method("chunk", has_out=False)
clone = from_method("clone", has_out=False)
detach = from_method("detach", has_out=False)
masked_fill = from_method("masked_fill", has_out=False)
gather = from_method("gather")
scatter_add = from_method("scatter_add", has_out=False)
index_select = from_method("index_select")
numel = from_method("numel", has_out=False)
is_floating_point = from_method("is_floating_point", has_out=False)


@overload
def max(input: Tensor, *, out: Tensor | None = None) -> Tensor: ...
@overload
def max(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor: ...
@overload
def max(input: Tensor, dim: int, keepdim: bool = False, *,
        out: tuple[Tensor, Tensor] | list[Tensor] | None = None) -> return_types.max: ...
def max(input: Tensor, *args: Any, out: Any = None, **kwargs: Any) -> Any:  # noqa: A001
    """max(input), max(input, dim, keepdim=False) as Tensor.max, or max(input, other) = maximum."""
    if args and isinstance(args[0], TensorBase):
        return maximum(input, *args, out=out)
    result = Tensor.max(_check_input(input, "max"), *args, **kwargs)
    return result if out is None else _write_results(out, result, "max")


@overload
def min(input: Tensor, *, out: Tensor | None = None) -> Tensor: ...
@overload
def min(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor: ...
@overload
def min(input: Tensor, dim: int, keepdim: bool = False, *,
        out: tuple[Tensor, Tensor] | list[Tensor] | None = None) -> return_types.min: ...
def min(input: Tensor, *args: Any, out: Any = None, **kwargs: Any) -> Any:  # noqa: A001
    """min(input), min(input, dim, keepdim=False) as Tensor.min, or min(input, other) = minimum."""
    if args and isinstance(args[0], TensorBase):
        return minimum(input, *args, out=out)
    result = Tensor.min(_check_input(input, "min"), *args, **kwargs)
    return result if out is None else _write_results(out, result, "min")
