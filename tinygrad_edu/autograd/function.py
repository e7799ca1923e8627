"""Function and Context: how one operation becomes one node of the autograd graph.

Layer L1: imports only `_grad_mode` and NumPy, never `_tensor.py`. `Function.apply` is the one
place where a graph node is recorded. It unwraps Tensor arguments to their NumPy arrays, runs
`forward` on arrays, and, when some input requires grad and grad mode is on, keeps a `Context`
(the node) on the output as its `grad_fn`. `backward` later receives Tensors and returns Tensors,
so the same formula serves plain backward and `create_graph=True`. See docs/architecture.md.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _grad_mode

# Forward-mode AD: while a `forward_ad.dual_level()` is active, the function that pushes tangents
# through each new node (set and restored by forward_ad.py, so this file need not import it).
forward_rule: Callable[[Context, tuple[Any, ...], TensorBase], None] | None = None


class TensorBase:
    """The fields of a Tensor that the graph machinery reads; `tensor.Tensor` adds the math.

    Living here lets `Function.apply` recognise tensors with one `isinstance` and build its
    output through `_from_op` (defined on Tensor) without importing `_tensor.py`.
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "name", "__weakref__")


class Context:
    """One recorded operation (a node of the graph): what backward needs, nothing more.

    `inputs` are the arguments as given (Tensors are the graph edges, held strongly);
    `needs_input_grad[i]` says whether input i wants a gradient; `output` is the result.
    """

    # Class-level defaults: an op recorded under no_grad pays for one attribute, not five.
    inputs: tuple[Any, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()
    freed = False
    retained: Any = None  # a weakref to the output when retain_grad() was called

    def __init__(self, function: type[Function]) -> None:
        self.function = function

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays (or tensors) for backward; read them back with `saved_tensors`."""
        self.saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The saved values as Tensors: a saved input stays that input, so its graph edge survives."""
        self._check_not_freed("saved_tensors")
        inputs = self.inputs
        result = []
        for value in getattr(self, "saved", ()):
            for candidate in inputs:
                if isinstance(candidate, TensorBase) and candidate.data is value:
                    value = candidate
                    break
            else:
                if value is self.output_data:
                    value = self.output
                elif isinstance(value, np.ndarray):
                    value = self._anchor()._from_op(value, None)  # a constant for differentiation
            result.append(value)
        return tuple(result)

    @property
    def output(self) -> TensorBase:
        """The forward result as a Tensor whose grad_fn is this node (so create_graph sees it)."""
        self._check_not_freed("output")
        # An unrecorded node (forward mode under no_grad) gives a constant: nothing to backward into.
        return self._anchor()._from_op(self.output_data, self if self.needs_input_grad else None)

    def _anchor(self) -> TensorBase:
        for candidate in self.inputs:
            if isinstance(candidate, TensorBase):
                return candidate
        raise RuntimeError(f"{self.name()} has no Tensor input")

    def _check_not_freed(self, what: str) -> None:
        if self.freed:
            raise RuntimeError(
                f"{self.name()}: cannot read {what}, this part of the graph was freed by an earlier "
                "backward(); call backward(retain_graph=True) the first time to backward through it again"
            )

    @property
    def next_functions(self) -> tuple[Context | None, ...]:
        """The grad_fn of each Tensor input (None for a leaf or a non-Tensor argument)."""
        return tuple(x.grad_fn if isinstance(x, TensorBase) else None for x in self.inputs)

    def name(self) -> str:
        """The node's name as PyTorch prints it: the Function's class name + "Backward" (MulBackward...)."""
        return f"{self.function.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Function:
    """Base class of every differentiable operation, the library's own and users' custom ones.

    Subclasses write two static methods side by side:
      forward(ctx, *args) -> np.ndarray   on NumPy arrays (Tensor args arrive as their `.data`)
      backward(ctx, grad_output) -> one gradient per forward argument, as Tensors (or None)
    and are called through `MyOp.apply(*args)`, never by instantiating them.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any) -> np.ndarray:
        """The operation on NumPy arrays; a subclass overrides it.

        Tensor arguments arrive as their arrays, other arguments as given. Save what backward needs on
        `ctx` (`ctx.save_for_backward(...)`, or plain attributes for non-tensor values) and return the
        result array.
        """
        raise TypeError("a Function subclass must define forward(ctx, *args)")  # abstract

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Any) -> Any:
        """The gradients of the inputs from the gradient of the output; a subclass overrides it.

        Receives `ctx` and one gradient Tensor per output and returns one gradient per forward
        argument, as Tensors (or None for an argument that needs none). Writing it with Tensor
        operations makes second derivatives (`create_graph=True`) work.
        """
        raise TypeError("a Function subclass must define backward(ctx, grad_output)")  # abstract

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run forward on arrays; record a graph node when an input requires grad."""
        arrays = []
        needs = []
        anchor = None
        for arg in args:
            if isinstance(arg, TensorBase):
                arrays.append(arg.data)
                needs.append(arg.requires_grad)
                if anchor is None:
                    anchor = arg
            else:
                arrays.append(arg)
                needs.append(False)
        if anchor is None:
            raise TypeError(f"{cls.__name__}.apply needs at least one Tensor argument")
        ctx = Context(cls)
        record = _grad_mode.enabled and True in needs
        if record:
            ctx.inputs = args
            ctx.needs_input_grad = tuple(needs)
        out = cls.forward(ctx, *arrays)
        if type(out) is not np.ndarray:
            if isinstance(out, tuple | list):
                raise TypeError(f"{cls.__name__}.forward returned {len(out)} values; a Function has one output")
            out = np.asarray(out)
        if record:
            ctx.output_data = out  # an array, not the Tensor: no reference cycle through grad_fn
            result = anchor._from_op(out, ctx)
        else:
            result = anchor._from_op(out, None)
        if forward_rule is not None:  # one check: zero cost unless a dual level is active
            forward_rule(ctx, args, result)
        return result
