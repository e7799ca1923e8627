"""Forward-mode AD (torch.autograd.forward_ad): a tangent travels forward next to each value.

Layer L1: imports only `autograd.function`, never `_tensor.py` at run time. Inside `with dual_level():`,
`make_dual(x, v)` gives x a tangent v; every op then computes, next to its value, the tangent of
its output from the tangents of its inputs with the op's `jvp(ctx, *tangents)` rule, so
`unpack_dual(f(make_dual(x, v))).tangent` is the Jacobian-vector product J v after one pass.
Reverse mode (backward) gives one row of J per pass, forward mode one column.

How it hooks in: while a level is active, `function.forward_rule` holds `push_tangents`, which
`Function.apply` calls after every forward (outside a level it is None: one check per op).
Tangents are kept per level in a table keyed by tensor identity, dropped when the level ends.
As in PyTorch, only one level may be active. See docs/forward_and_reverse.md.
"""
from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np

from . import function
from .function import Context, Function, TensorBase

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

F = TypeVar("F", bound=Callable[..., Any])


class UnpackedDualTensor(NamedTuple):
    """What `unpack_dual` returns: the value (no tangent of its own) and its tangent, or None."""

    primal: Tensor
    tangent: Tensor | None


class _Level:
    """The tangents of one dual level, keyed by the id of the tensor that carries them."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.tangents: dict[int, tuple[weakref.ref[TensorBase], Tensor]] = {}

    def tangent_of(self, x: TensorBase) -> Tensor | None:
        entry = self.tangents.get(id(x))
        return entry[1] if entry is not None and entry[0]() is x else None

    def set_tangent(self, x: TensorBase, tangent: Tensor) -> None:
        key, table = id(x), self.tangents

        def forget(_: weakref.ref[TensorBase], key: int = key) -> None:
            # When x is garbage collected its entry goes too, so a later tensor reusing the id starts clean.
            table.pop(key, None)

        table[key] = (weakref.ref(x, forget), tangent)


_current: _Level | None = None
# A recorder set by tinygrad_edu.forward_trace.trace_forward() (layer L4) while its block runs.
tracer: Any = None


class Alias(Function):
    """d alias(x)/dx = 1: the same values as a new tensor (what make_dual and unpack_dual return)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def backward(ctx: Context, grad_out: Tensor) -> Tensor:
        return grad_out

    @staticmethod
    def jvp(ctx: Context, tangent: Tensor) -> Tensor:
        return tangent


def enter_dual_level() -> int:
    """Start a forward-AD level (only one at a time, as in PyTorch) and return its index, 0."""
    global _current
    if _current is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current = _Level(0)
    function.forward_rule = push_tangents
    return _current.index


def exit_dual_level(*, level: int | None = None) -> None:
    """End the active level: every tangent made inside it is dropped."""
    global _current
    if _current is None or (level is not None and level != _current.index):
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    _current.tangents.clear()
    _current = None
    function.forward_rule = None


class dual_level:
    """`with dual_level():` (or as a decorator) makes tangents flow; they are dropped at the end."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc_info: object) -> None:
        exit_dual_level()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with dual_level():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps keeps fn's signature; mypy sees the wrapper


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A new tensor with `tensor`'s values (shared) carrying `tangent`; backward flows into `tensor`."""
    active = _level(level, "make_dual")
    if active is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    for what, value in (("primal", tensor), ("tangent", tangent)):
        if not isinstance(value, TensorBase):
            raise TypeError(f"make_dual: the {what} must be a Tensor, got {type(value).__name__}")
        if value.data.dtype.kind not in "fc":
            raise ValueError(f"Expected {what} to be floating point or complex, but got: {value.data.dtype}")
    if tangent.data.shape != tensor.data.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.data.shape)} while the "
                           f"given forward gradient is of size {list(tangent.data.shape)}.")
    if active.tangent_of(tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {active.index} is not supported.")
    dual: Tensor = Alias.apply(tensor)  # tensor has no tangent here, so no rule runs
    if tangent.data.dtype != tensor.data.dtype:
        tangent = tangent.to(tensor.data.dtype)
    active.set_tangent(dual, tangent)
    if tracer is not None:
        tracer.record(make_dual, (tensor,), (None,), dual, tangent)
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """`(primal, tangent)`: the values as a tensor without tangent, and the tangent (None if it has none)."""
    active = _level(level, "unpack_dual")
    if active is None:
        return UnpackedDualTensor(tensor, None)
    tangent = active.tangent_of(tensor)
    function.forward_rule = None  # the primal is a plain alias: no tangent for it
    try:
        primal = Alias.apply(tensor)
    finally:
        function.forward_rule = push_tangents
    return UnpackedDualTensor(primal, tangent)


def is_active() -> bool:
    """True inside a `dual_level()` block (tangents are being pushed through every op)."""
    return _current is not None


def carry_tangent(source: TensorBase, target: TensorBase) -> None:
    """Give `target` the tangent `source` has at the active level, if any.

    In-place ops need it: they compute out of place on a stand-in for the old values, then write
    the result back into the original tensor object, which must then carry the new tangent.
    """
    if _current is not None:
        tangent = _current.tangent_of(source)
        if tangent is not None:
            _current.set_tangent(target, tangent)


def _level(level: int | None, caller: str) -> _Level | None:
    if level is not None and (_current is None or level != _current.index):
        raise RuntimeError(f"{caller}: level {level} is not the active forward AD level")
    return _current


def push_tangents(ctx: Context, args: tuple[Any, ...], results: tuple[Tensor, ...]) -> None:
    """After one op's forward: give its outputs the tangents its `jvp` rule computes, if any input has one.

    A rule returns one tangent per output: a tuple of them when forward returned several (None
    for an output without one, such as indices)."""
    level: _Level = _current  # type: ignore[assignment]  # installed as forward_rule only while a level is active
    found = [level.tangent_of(arg) if isinstance(arg, TensorBase) else None for arg in args]
    if all(t is None for t in found):
        return
    cls = ctx.function
    rule = getattr(cls, "jvp", None)
    if rule is None:
        raise RuntimeError(f"You must implement the jvp function for custom autograd.Function to use it with "
                           f"forward mode AD: {cls.__name__} defines no jvp(ctx, *tangents)")
    # A Tensor input without a tangent has tangent zero; other arguments (axes, shapes) get None.
    tangents = [t if t is not None or not isinstance(arg, TensorBase) else arg._from_op(np.zeros_like(arg.data), None)
                for arg, t in zip(args, found)]
    if not ctx.args:  # an unrecorded node (no input requires grad): the rule still reads these
        ctx.record_inputs(args, [False] * len(args))
        ctx.remember_outputs(results)
    function.forward_rule = None  # the rule's own ops compute tangents, they carry none themselves
    try:
        tangent = rule(ctx, *tangents)
    finally:
        function.forward_rule = push_tangents
    for result, given in zip(results, tangent if isinstance(tangent, tuple) else (tangent,)):
        if given is None:
            continue
        checked = _checked_tangent(cls, given, result)
        level.set_tangent(result, checked)
        if tracer is not None:
            tracer.record(cls, args, found, result, checked)


def _checked_tangent(cls: type[Function], tangent: Tensor | np.ndarray | np.generic | float | int,
                     result: Tensor) -> Tensor:
    """The rule's tangent as a Tensor of the output's shape and dtype, or a clear error."""
    if not isinstance(tangent, TensorBase):
        if not isinstance(tangent, np.ndarray | np.generic | float | int):
            raise TypeError(f"{cls.__name__}.jvp returned a {type(tangent).__name__}; expected a Tensor or None")
        tangent = result._from_op(np.asarray(tangent, dtype=result.data.dtype), None)
    shape = result.data.shape
    if tangent.data.shape != shape:
        # An input broadcast implicitly (no BroadcastTo node when nothing requires grad): spread its tangent too.
        if not _broadcasts_to(tangent.data.shape, shape):
            raise RuntimeError(f"{cls.__name__}.jvp returned a tangent of shape {tangent.data.shape} for an output "
                               f"of shape {shape}")
        tangent = tangent.broadcast_to(shape)
    if tangent.data.dtype != result.data.dtype:
        tangent = tangent.to(result.data.dtype)
    return tangent


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False
