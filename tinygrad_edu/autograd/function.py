"""Function and Context: how one operation becomes one node of the autograd graph.

Layer L1: imports only `_grad_mode`, `anomaly` and NumPy, never `_tensor.py` (the type checker
alone reads `Tensor`, as what the protocol builds). `Function.apply` is
the one place where a graph node is recorded. It unwraps Tensor arguments to their NumPy arrays,
runs `forward` on arrays (one array, or a tuple of arrays for several outputs), and, when some
input requires grad and grad mode is on, keeps a `Context` (the node) as the `grad_fn` of every
output. Each graph edge names a node and one of its outputs, `(node, output_nr)`, as PyTorch's.
The node remembers each input's version: backward refuses values changed in place since
(docs/architecture.md, "Version counters").
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _grad_mode
from . import anomaly

if TYPE_CHECKING:
    from .._tensor import Tensor

# Forward-mode AD: while a `forward_ad.dual_level()` is active, the function that pushes tangents
# through each new node (set and restored by forward_ad.py, so this file need not import it).
forward_rule: Callable[[Context, tuple[Any, ...], tuple[Tensor, ...]], None] | None = None


class TensorBase:
    """The fields of a Tensor that the graph machinery reads; `tensor.Tensor` adds the math.

    The engine's whole protocol with Tensor: these fields, plus `_from_op(array, grad_fn,
    output_nr=0)` (wrap an array without copying), `+` (sum two gradients), `.to(dtype)`,
    `.clone()` and (for forward mode) `.broadcast_to(shape)`, declared below for the type checker only.
    `_version_counter` is a one-element list shared by a tensor and its views; in-place ops add 1.
    Living here lets `Function.apply` recognise tensors with one `isinstance` and build its
    outputs without importing `_tensor.py`.
    """

    __slots__ = ("data", "_grad", "requires_grad", "grad_fn", "name", "output_nr", "_version_counter", "_hooks",
                 "__weakref__")
    data: np.ndarray[tuple[int, ...], np.dtype[Any]]  # any dtype; the shape a tuple of ints
    _grad: TensorBase | None
    requires_grad: bool
    grad_fn: Context | None
    name: str | None
    output_nr: int
    _version_counter: list[int]
    _hooks: list[Callable[[Any], Any]] | None

    if TYPE_CHECKING:  # what tensor.Tensor supplies; declared here so the engine is checked against it
        def _from_op(self, array: np.ndarray, grad_fn: Context | None, output_nr: int = 0,
                     version_counter: list[int] | None = None) -> Tensor: ...
        def __add__(self, other: TensorBase, /) -> Tensor: ...
        def to(self, dtype: np.dtype, /) -> Tensor: ...
        def clone(self) -> Tensor: ...
        def broadcast_to(self, shape: tuple[int, ...], /) -> Tensor: ...

    @property
    def grad(self) -> TensorBase | None:
        """The accumulated gradient (a Tensor of this tensor's shape and dtype), or None."""
        return self._grad

    @grad.setter
    def grad(self, value: TensorBase | None) -> None:
        # As in PyTorch: a gradient that cannot belong to this tensor is refused when assigned,
        # not later inside an optimizer step that would broadcast it silently.
        if value is not None:
            if not isinstance(value, TensorBase):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.data.shape != self.data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: grad of shape "
                                   f"{value.data.shape} for a tensor of shape {self.data.shape}")
            if value.data.dtype != self.data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: grad of dtype "
                                   f"{value.data.dtype} for a tensor of dtype {self.data.dtype}")
        self._grad = value


class SavedVersionError(RuntimeError):
    """A value backward needs was modified in place after the op that needed it was recorded."""


def modified_error(x: TensorBase, version: int, expected: int, needed_by: Context) -> SavedVersionError:
    """PyTorch's error for a value saved at version `expected` that is now at `version`."""
    producer = x.grad_fn
    which = f", which is output {x.output_nr} of {producer.name()}," if producer is not None else ""
    return SavedVersionError(
        f"one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{x.data.dtype} {list(x.data.shape)}]{which} is at version {version}; expected version {expected} "
        f"instead (needed by {needed_by.name()}). Hint: clone() the tensor before changing it in place, or "
        "change it after backward()."
    )


class Context:
    """One recorded operation (a node of the graph): what backward needs, nothing more.

    `inputs`: the arguments as given (reading them in backward checks their versions);
    `needs_input_grad[i]`: whether input i wants a gradient; `output` / `outputs`: the results.
    `next_edges[i]` is where input i's gradient goes: `(producer, output_nr)`, `(None, i)` for a
    leaf, or None when it needs none.
    """

    # Class-level defaults: an op recorded under no_grad pays for one attribute, not ten.
    args: tuple[Any, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()
    next_edges: list[tuple[Context | None, int] | None] | tuple[tuple[Context | None, int] | None, ...] = ()
    versions: list[int | None] | tuple[int | None, ...] = ()  # None for an argument that is not a Tensor
    output_arrays: tuple[np.ndarray, ...] = ()
    freed = False
    materialize_grads = True
    non_differentiable: tuple[int, ...] = ()
    saved: tuple[Any, ...] = ()
    marked: tuple[np.ndarray, ...] = ()
    retained: dict[int, weakref.ref[Tensor]] | None = None  # output_nr -> a tensor that called retain_grad()
    hooks: dict[int, list[Callable[[Any], Any]]] | None = None  # output_nr -> hooks registered on that output
    creation_stack: str | None = None  # the forward traceback, recorded in anomaly mode only
    # True while the engine runs an `array_backward` op's backward in a plain backward pass: what
    # backward reads from ctx (inputs, output(s), saved_tensors) then comes as arrays, not Tensors.
    on_arrays = False
    # Set by remember_outputs, per output: the tensor (held weakly), its version counter, its version then.
    output_refs: list[weakref.ref[Tensor]]
    output_counters: tuple[list[int], ...]
    output_versions: tuple[int, ...]

    def __init__(self, function: type[Function]) -> None:
        self.function = function

    if TYPE_CHECKING:  # forward may keep any value on ctx as a plain attribute (ctx.axis = ...), as in PyTorch
        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

    # ----- what forward may call
    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays for backward; read them back with `saved_tensors` (an input's array comes
        back as that input, an output's as that output, so their graph edges survive)."""
        self.saved = values

    def mark_non_differentiable(self, *arrays: np.ndarray) -> None:
        """Outputs (given as the arrays forward returns) that get no gradient, e.g. indices."""
        self.marked = arrays

    def set_materialize_grads(self, value: bool) -> None:
        """False: backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    # ----- what backward reads
    @property
    def inputs(self) -> tuple[Any, ...]:
        """The forward arguments, after checking no Tensor among them changed in place since
        (a Tensor's array instead of the Tensor in an `array_backward` op's plain backward)."""
        self._check_not_freed("its inputs")
        for x, version in zip(self.args, self.versions):
            if version is not None and x._version_counter[0] != version:  # one integer compare per input
                raise modified_error(x, x._version_counter[0], version, self)
        if self.on_arrays:
            return tuple([x.data if isinstance(x, TensorBase) else x for x in self.args])
        return self.args

    @property
    def outputs(self) -> tuple[Any, ...]:
        """The forward results as Tensors whose grad_fn is this node (the same object each time);
        their arrays in an `array_backward` op's plain backward."""
        self._check_not_freed("outputs")
        if self.on_arrays:
            return tuple([self._output_array(i) for i in range(len(self.output_arrays))])
        return tuple(self._output(i) for i in range(len(self.output_arrays)))

    @property
    def output(self) -> Any:
        """The forward result of a one-output Function (use `outputs` when there are several): a
        Tensor, or its array in an `array_backward` op's plain backward."""
        self._check_not_freed("output")
        if len(self.output_arrays) != 1:
            raise TypeError(f"{self.name()} has {len(self.output_arrays)} outputs; read ctx.outputs")
        return self._output_array(0) if self.on_arrays else self._output(0)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The saved values: inputs and outputs as their Tensors, other arrays as constant Tensors
        (all as the arrays saved, after the version checks, in an `array_backward` op's plain backward)."""
        self._check_not_freed("saved_tensors")
        result = []
        for value in self.saved:
            found = self._find_tensor(value)
            if self.on_arrays:
                result.append(value)  # after _find_tensor's version check
                continue
            if found is None and isinstance(value, np.ndarray):
                found = self._first_tensor_input()._from_op(value, None)  # a constant for differentiation
            result.append(value if found is None else found)
        return tuple(result)

    def _find_tensor(self, array: Any) -> Any:
        """The input or output whose array is `array`, after its version check (its array, in an
        `array_backward` op's plain backward), or None for any other value."""
        found = self._locate(array)
        if found is None:
            return None
        kind, index = found
        if kind == "input":
            return self.inputs[index]  # the input (or its array), after the version check
        return self._output_array(index) if self.on_arrays else self._output(index)

    def _locate(self, array: Any) -> tuple[str, int] | None:
        """("input", i) when `array` is the memory of Tensor argument i, ("output", i) when it is
        output i's array, else None: which forward value, if any, a given array is."""
        for position, x in enumerate(self.args):
            if isinstance(x, TensorBase) and x.data is array:
                return "input", position
        for index, out in enumerate(self.output_arrays):
            if out is array:
                return "output", index
        return None

    def _output(self, index: int) -> Tensor:
        # Outputs are held weakly (an output holds its grad_fn strongly: no cycle). Rebuilt if the
        # user dropped it, sharing the original version counter, so one object exists at a time.
        tensor = self.output_refs[index]()
        if tensor is None:
            # An unrecorded node (forward mode under no_grad) gives a constant: nothing to backward into.
            grad_fn = self if self.needs_input_grad and index not in self.non_differentiable else None
            tensor = self._first_tensor_input()._from_op(self.output_arrays[index], grad_fn, index,
                                                         self.output_counters[index])
            self.output_refs[index] = weakref.ref(tensor)
        # The counter the output had when made: after an in-place change rebased it, the object held
        # here stands for the old values, and the counter still says they were overwritten.
        counter = self.output_counters[index]
        if counter[0] != self.output_versions[index]:
            raise modified_error(tensor, counter[0], self.output_versions[index], self)
        return tensor

    def _output_array(self, index: int) -> np.ndarray:
        # An output's array after the same version check, with no Tensor rebuilt for it: what an
        # `array_backward` op's plain backward reads, usually after the output Tensor is gone.
        if self.output_counters[index][0] != self.output_versions[index]:
            self._output(index)  # raises the version error, naming the tensor
        return self.output_arrays[index]

    def _first_tensor_input(self) -> TensorBase:
        for candidate in self.args:
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
    def next_functions(self) -> tuple[tuple[Context | None, int] | None, ...]:
        """Per input, `(producer grad_fn, output_nr)`; `(None, 0)` for a leaf or a non-Tensor argument."""
        return tuple((edge[0], edge[1] if edge[0] is not None else 0) if edge else (None, 0)
                     for edge in self.next_edges)

    def name(self) -> str:
        """The node's name as PyTorch prints it: the Function's class name + "Backward" (MulBackward...)."""
        return f"{self.function.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    # ----- what Function.apply calls
    def record_inputs(self, args: tuple[Any, ...], needs: list[bool]) -> None:
        """Remember each input, where its gradient goes, and its version now."""
        edges: list[tuple[Context | None, int] | None]
        versions: list[int | None]
        edges, versions = [], []
        for position, x in enumerate(args):
            if not needs[position]:
                edges.append(None)
            elif x.grad_fn is None:
                edges.append(LEAF_EDGES[position] if position < len(LEAF_EDGES) else (None, position))
            else:
                edges.append((x.grad_fn, x.output_nr))
            versions.append(x._version_counter[0] if isinstance(x, TensorBase) else None)
        self.args, self.needs_input_grad, self.next_edges, self.versions = args, tuple(needs), edges, versions
        if anomaly.enabled:
            self.creation_stack = anomaly.forward_stack()

    def record_output(self, array: np.ndarray, first: TensorBase, shared: list[int] | None) -> Tensor:
        """The output of a one-output node (the common case) as a Tensor that knows this node.

        `shared`: the version counter of the tensor whose memory the output views, or None.
        """
        if self.marked:
            return self.record_outputs([array], first, shared)[0]
        out = first._from_op(array, self, 0, shared)
        counter = out._version_counter
        self.output_arrays, self.output_refs = (array,), [weakref.ref(out)]
        self.output_counters, self.output_versions = (counter,), (counter[0],)
        return out

    def record_outputs(self, arrays: list[np.ndarray], first: TensorBase,
                       shared: list[int] | None) -> list[Tensor]:
        """One Tensor per output array, each knowing this node and its output index."""
        marked = self.marked
        tensors: list[Tensor] = []
        for index, array in enumerate(arrays):
            differentiable = not marked or not any(array is m for m in marked)
            tensors.append(first._from_op(array, self if differentiable else None, index, shared))
        if marked:
            self.non_differentiable = tuple(i for i, out in enumerate(tensors) if out.grad_fn is None)
        self.remember_outputs(tensors)
        return tensors

    def remember_outputs(self, tensors: Sequence[Tensor]) -> None:
        """Hold the outputs weakly, with the version each had when made (their arrays strongly)."""
        self.output_arrays = tuple([out.data for out in tensors])
        self.output_refs = [weakref.ref(out) for out in tensors]
        self.output_counters = tuple([out._version_counter for out in tensors])
        self.output_versions = tuple([counter[0] for counter in self.output_counters])


# The edge of a leaf input at each argument position, made once instead of on every op.
LEAF_EDGES = tuple((None, position) for position in range(8))


class Function:
    """Base class of every differentiable operation, the library's own and users' custom ones.

    Subclasses write two static methods side by side:
      forward(ctx, *args) -> np.ndarray or tuple of arrays   (Tensor args arrive as their `.data`)
      backward(ctx, *grad_outputs) -> one gradient per forward argument, as Tensors (or None)
    and are called through `MyOp.apply(*args)`, never by instantiating them. `backward` gets one
    gradient per output (zeros for an output no gradient reached, or None after
    `ctx.set_materialize_grads(False)`). `returns_view = True` marks ops whose output shares its
    first input's memory (reshape, transpose, basic indexing): they share its version counter.

    `array_backward = True` says backward's formula uses only what NumPy arrays and Tensors
    share (`@`, `*`, `-`, `.T`, `.reshape`, `.sum(axis)`, `.shape`...). A plain backward (no
    create_graph) then runs it on arrays: its gradients arrive as arrays, `ctx.inputs`,
    `ctx.output(s)` and `ctx.saved_tensors` give arrays, and it may return arrays, so no Tensor
    is made for any intermediate. Under create_graph the same formula runs on Tensors and is
    recorded (docs/performance.md, "Backward on arrays").
    """

    returns_view = False
    array_backward = False
    # The library's own ops (tinygrad_edu.ops) return new arrays or views from backward, never a
    # forward value itself; the engine checks a user's Function for that (engine.carried).
    library_op = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.library_op = cls.__module__.startswith("tinygrad_edu.ops.")

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Any:
        """The operation on NumPy arrays; a subclass overrides it.

        Tensor arguments arrive as their arrays, other arguments as given. Save what backward needs on
        `ctx` (`ctx.save_for_backward(...)`, or plain attributes for non-tensor values) and return the
        result array, or a tuple of arrays for several outputs.
        """
        raise TypeError("a Function subclass must define forward(ctx, *args)")  # abstract

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Any) -> Any:
        """The gradients of the inputs from the gradients of the outputs; a subclass overrides it.

        Receives `ctx` and one gradient Tensor per output and returns one gradient per forward
        argument, as Tensors (or None for an argument that needs none). Writing it with Tensor
        operations makes second derivatives (`create_graph=True`) work.
        """
        raise TypeError("a Function subclass must define backward(ctx, *grad_outputs)")  # abstract

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run forward on arrays; record a graph node when an input requires grad."""
        arrays = []
        needs = []
        first = None
        for arg in args:
            if isinstance(arg, TensorBase):
                arrays.append(arg.data)
                needs.append(arg.requires_grad)
                if first is None:
                    first = arg
            else:
                arrays.append(arg)
                needs.append(False)
        if first is None:
            raise TypeError(f"{cls.__name__}.apply needs at least one Tensor argument")
        ctx = Context(cls)
        record = _grad_mode.local.enabled and True in needs
        if record:
            ctx.record_inputs(args, needs)
        out = cls.forward(ctx, *arrays)
        several = type(out) is tuple or type(out) is list  # max(dim), sort, split... return several arrays
        if several:
            outs = [np.asarray(o) for o in out]
            # A view of first's memory shares its version counter: in-place changes count for both.
            shared = first._version_counter if cls.returns_view and outs[0].base is not None else None
            results = tuple(ctx.record_outputs(outs, first, shared) if record else
                            [first._from_op(o, None, 0, shared) for o in outs])
        else:
            out = out if type(out) is np.ndarray else np.asarray(out)
            shared = first._version_counter if cls.returns_view and out.base is not None else None
            # Recording nothing (every op inside a plain backward), an op only wraps its array.
            result = ctx.record_output(out, first, shared) if record else first._from_op(out, None, 0, shared)
            results = (result,)
        if forward_rule is not None:  # one check: zero cost unless a dual level is active
            forward_rule(ctx, args, results)
        return results if several else result

