"""The backward engine: order the graph, then walk it once from the outputs to the leaves.

Layer L1: sees tensors only through the protocol written down on `TensorBase`; never imports
`_tensor.py` at run time (only the type checker reads the name `Tensor`). `topological_sort` is an
iterative depth-first search (no recursion limit on deep graphs). `run_backward` collects, per
node, one gradient per output (fan-in is summed), calls the node's `backward`, checks each
gradient's shape and hands it along its edge `(node, output_nr)`.
A plain backward carries the gradients between nodes as bare NumPy arrays (nothing is recorded,
so a Tensor around them would be made only to be unwrapped again); under `create_graph` they are
Tensors, whose graphs are the point. A Tensor is made where a user can see a gradient: a hook,
a leaf's `.grad`, a retained one, a `grad()` result, or a backward written with Tensor methods.
Every finished gradient a user can see lands through one function, `deliver`. See
docs/architecture.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _grad_mode
from . import anomaly
from .function import Context, TensorBase
from .hooks import run_tensor_hooks

if TYPE_CHECKING:
    from .._tensor import Tensor

# A recorder set by tinygrad_edu.trace.trace_backward() (layer L4) while its block runs; None otherwise.
tracer: Any = None

# What happened to each gradient the engine handed on (the tracer shows these words).
GRAD_SET = "set .grad"              # first gradient of a leaf (or a retained non-leaf): stored as its .grad
GRAD_ACCUMULATED = "added to .grad"  # it already had a .grad (an earlier use, or an earlier backward)
HANDED_ON = "handed on"              # first gradient for that output of the producing node: waits there
FAN_IN_SUM = "fan-in sum"            # the output was used more than once: added to the gradient waiting there
CAPTURED = "captured"                # autograd.grad(): kept as the result for this input
CAPTURED_SUM = "captured, summed"    # autograd.grad(): added to the result already captured
NOT_REQUESTED = "not requested"      # autograd.grad(): a leaf nobody asked for, the gradient is dropped


class GradientShapeError(RuntimeError):
    """A backward returned a gradient whose shape is not its input's; the fields say which."""

    def __init__(self, op: str, input_index: int, expected: tuple[int, ...], got: tuple[int, ...]) -> None:
        super().__init__(f"{op}.backward returned grad of shape {got} for input {input_index} of shape {expected}")
        self.op, self.input_index, self.expected, self.got = op, input_index, expected, got


def topological_sort(roots: Sequence[Context]) -> list[Context]:
    """Every node reachable from `roots`, each one before the nodes that produced its inputs."""
    finished: list[Context] = []
    visited: set[Context] = set()
    stack: list[tuple[Context, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            finished.append(node)
            continue
        if node in visited:
            continue
        node._check_not_freed("its inputs")
        visited.add(node)
        stack.append((node, True))
        for edge in reversed(node.next_edges):  # reversed so the first argument is explored first
            if edge is not None and edge[0] is not None and edge[0] not in visited:
                stack.append((edge[0], False))
    finished.reverse()  # post-order reversed: consumers before producers
    return finished


class Run:
    """One backward pass: how finished gradients are delivered."""

    def __init__(self, create_graph: bool, wanted: Sequence[TensorBase] | None) -> None:
        self.create_graph = create_graph
        self.on_arrays = not create_graph  # gradients travel as arrays (see the module docstring)
        # grad(): the result per wanted tensor (by id), and the non-leaf ones by (node, output_nr).
        self.captured: dict[int, Any] | None = None if wanted is None else {id(x): None for x in wanted}
        self.wanted_outputs: dict[tuple[Context, int], TensorBase] = \
            {} if wanted is None else {(x.grad_fn, x.output_nr): x for x in wanted if x.grad_fn}
        self.owned: set[int] = set()  # ids of arrays already handed out as some .grad
        # Leaves with hooks: their gradients are summed first, so each hook sees the total once.
        self.hooked_leaves: dict[int, list[Any]] = {}


def run_backward(roots: Sequence[TensorBase], root_grads: Sequence[TensorBase], retain_graph: bool,
                 create_graph: bool, wanted: Sequence[TensorBase] | None = None) -> dict[int, Any] | None:
    """Propagate `root_grads` from `roots` into every leaf's `.grad`, or, with `wanted`, only
    collect the gradients of those tensors (keyed by id), the contract of torch.autograd.grad."""
    run = Run(create_graph, wanted)
    order = topological_sort([node for node in dict.fromkeys(root.grad_fn for root in roots) if node is not None])
    grads: dict[Context, list[Any]] = {}  # node -> one summed gradient (or None) per output
    for root, root_grad in zip(roots, root_grads):
        seed = root_grad.data if run.on_arrays else root_grad
        if root.grad_fn is None:
            to_leaf(run, root, seed)
        else:
            hand_on(grads, root.grad_fn, root.output_nr, seed)
    trace = tracer if tracer is None else tracer.start_run(roots, root_grads, order, grads, run, retain_graph)
    flows: list[tuple[int, TensorBase, str]] | None  # per node, for the tracer: (input index, gradient, event)
    previous_mode, _grad_mode.local.enabled = _grad_mode.local.enabled, create_graph  # plain backward records nothing
    try:
        for node in order:
            waiting = grads.pop(node, None)
            if waiting is None:
                continue  # no gradient reached this node
            grad_outputs = arrived(run, node, waiting)
            input_grads = call_backward(node, grad_outputs, run.on_arrays)
            flows = None if trace is None else []
            for index, (edge, grad) in enumerate(zip(node.next_edges, input_grads)):
                if edge is None or grad is None:
                    continue  # the input needs no gradient, or backward gave none
                grad = carried(run, node, index, grad)  # checked against its input, as the run carries it
                producer, slot = edge
                if producer is None:
                    event = to_leaf(run, node.args[slot], grad)
                else:
                    event = hand_on(grads, producer, slot, grad)
                if flows is not None:
                    flows.append((index, as_tensor(node.args[index], grad), event))
            if trace is not None:
                first = node._first_tensor_input()
                trace.record(node, tuple(as_tensor(first, g) for g in grad_outputs), flows)
            if not retain_graph:
                free(node)
        for x, grad in run.hooked_leaves.values():
            deliver(run, x, run_tensor_hooks(x._hooks, as_tensor(x, grad)))
    finally:
        _grad_mode.local.enabled = previous_mode  # this thread's mode only
    return run.captured


def hand_on(grads: dict[Context, list[Any]], producer: Context, slot: int, grad: Any) -> str:
    """Add `grad` (an array, or a Tensor under create_graph) to what waits for output `slot` of `producer`."""
    waiting = grads.get(producer)
    if waiting is None:
        waiting = grads[producer] = [None] * len(producer.output_arrays)
    previous = waiting[slot]
    waiting[slot] = grad if previous is None else add(previous, grad)
    return HANDED_ON if previous is None else FAN_IN_SUM


def add(total: Any, grad: Any) -> Any:
    """The sum of two gradients, both arrays or both Tensors; an array sum stays an array (NumPy
    turns the sum of two 0-d arrays into a scalar, whose `fill` and `[...] =` write nowhere)."""
    result = total + grad
    return np.asarray(result) if isinstance(result, np.generic) else result


def arrived(run: Run, node: Context, waiting: list[Any]) -> tuple[Any, ...]:
    """The gradients of a node's outputs, complete now: hooks, retain_grad/grad() results, zeros."""
    grad_outputs = []
    for slot, grad in enumerate(waiting):
        if grad is not None:
            if node.hooks and node.hooks.get(slot):
                grad = run_tensor_hooks(node.hooks[slot], as_tensor(node._first_tensor_input(), grad))
                grad = grad.data if run.on_arrays else grad
            if run.captured is not None:
                target = run.wanted_outputs.get((node, slot))
            else:
                target = node.retained[slot]() if node.retained and slot in node.retained else None
            if target is not None:
                deliver(run, target, grad)
        elif node.materialize_grads:
            grad = np.zeros_like(node.output_arrays[slot])
            grad = grad if run.on_arrays else node._first_tensor_input()._from_op(grad, None)
        grad_outputs.append(grad)
    return tuple(grad_outputs)


def call_backward(node: Context, grad_outputs: tuple[Any, ...], on_arrays: bool) -> tuple[Any, ...]:
    """Run the node's backward; one gradient (or None) per forward argument.

    `on_arrays` (a plain backward, whose gradients arrive as arrays): an `array_backward` op
    computes on them, with no Tensor made for its intermediates; another op's formula, written
    with Tensor methods, gets them wrapped.
    """
    if on_arrays and node.function.array_backward:
        node.on_arrays = True
        try:
            returned = node.function.backward(node, *grad_outputs)
        finally:
            node.on_arrays = False
    else:
        if on_arrays:
            first = node._first_tensor_input()
            grad_outputs = tuple([as_tensor(first, grad) for grad in grad_outputs])
        returned = node.function.backward(node, *grad_outputs)
    input_grads: tuple[Any, ...] = returned if type(returned) is tuple else (returned,)
    if len(input_grads) != len(node.args):
        raise RuntimeError(f"{node.function.__name__}.backward returned {len(input_grads)} gradients for "
                           f"{len(node.args)} forward arguments (return None for arguments without one)")
    if anomaly.enabled:
        anomaly.check_gradients(node, input_grads)
    return input_grads


def carried(run: Run, node: Context, index: int, grad: Any) -> Any:
    """Input `index`'s gradient as the run carries it (an array, or a Tensor under create_graph),
    after checking it has exactly the input's shape and dtype (checked_gradient says what is wrong)."""
    x = node.args[index]
    array = grad if type(grad) is np.ndarray else grad.data if isinstance(grad, TensorBase) else None
    if array is None or array.shape != x.data.shape or array.dtype != x.data.dtype:
        grad = checked_gradient(node, index, grad)
        array = grad.data
    if not node.function.library_op and node._locate(array) is not None:  # a custom backward returning `y`
        # Handed on as it is, it would become some .grad that shares memory with a live tensor:
        # grad.zero_() would then zero that tensor. PyTorch copies here too (AccumulateGrad).
        return array.copy() if run.on_arrays else as_tensor(x, grad).clone()
    return array if run.on_arrays else as_tensor(x, grad)


def as_tensor(like: TensorBase, grad: Any) -> Any:
    """A gradient about to be shown to a user or a Tensor formula: an array is wrapped (no copy)."""
    return like._from_op(grad, None) if type(grad) is np.ndarray else grad


def checked_gradient(node: Context, index: int, grad: Tensor | np.ndarray | np.generic | float | int) -> Tensor:
    """A gradient that is not yet a Tensor of exactly the input's shape and dtype, made one, or a clear error.

    run_backward passes the common case (already exactly right) without calling this.
    """
    x: TensorBase = node.args[index]  # an input that needs a gradient is a tensor
    if not isinstance(grad, TensorBase):
        if not isinstance(grad, np.ndarray | np.generic | float | int):
            raise TypeError(f"{node.function.__name__}.backward returned a {type(grad).__name__} for input "
                            f"{index}; expected a Tensor, a NumPy array or None")
        grad = x._from_op(np.asarray(grad, dtype=x.data.dtype), None)
    if grad.data.shape != x.data.shape:
        raise GradientShapeError(node.function.__name__, index, tuple(x.data.shape), tuple(grad.data.shape))
    return grad if grad.data.dtype == x.data.dtype else grad.to(x.data.dtype)


def to_leaf(run: Run, x: TensorBase, grad: Any) -> str:
    """A leaf's gradient: delivered now, or, if the leaf has hooks, summed for them to see at the end."""
    if not x._hooks:
        return deliver(run, x, grad)
    waiting = run.hooked_leaves.get(id(x))
    if waiting is None:
        run.hooked_leaves[id(x)] = [x, grad]
        return HANDED_ON
    waiting[1] = add(waiting[1], grad)
    return FAN_IN_SUM


def deliver(run: Run, x: TensorBase, grad: Any) -> str:
    """The one place a finished gradient of `x` (an array or a Tensor) lands: the grad() result, or `x.grad`.

    A `.grad` always owns a writable array, since users write `w.grad.zero_()`: a read-only
    broadcast view, a view into another gradient, or an array already handed out is copied.
    """
    if run.captured is not None:
        if id(x) not in run.captured:
            return NOT_REQUESTED
        grad = as_tensor(x, grad)  # a grad() result is a Tensor
        previous = run.captured[id(x)]
        run.captured[id(x)] = grad if previous is None else previous + grad
        return CAPTURED if previous is None else CAPTURED_SUM
    if run.create_graph:  # keep the gradient's own graph (double backward)
        previous = x.grad
        x.grad = grad if previous is None else previous + grad
        return GRAD_SET if previous is None else GRAD_ACCUMULATED
    array = grad if type(grad) is np.ndarray else grad.data
    held = x._grad  # the stored gradient itself: reading it needs none of the `.grad` property's checks
    if held is not None:
        held.data = add(held.data, array)  # rebind: gradient arrays may be shared, never mutate them
        return GRAD_ACCUMULATED
    if id(array) in run.owned or array.base is not None or not array.flags.writeable:
        array = array.copy()
    run.owned.add(id(array))
    x.grad = x._from_op(array, None)
    return GRAD_SET


def free(node: Context) -> None:
    """Drop what the node kept for backward; a second backward through it then raises."""
    function, retained, hooks = node.function, node.retained, node.hooks
    node.__dict__.clear()  # inputs, saved arrays, outputs: the class-level defaults show through
    node.function, node.retained, node.hooks, node.freed = function, retained, hooks, True


def backward(tensors: TensorBase | Sequence[TensorBase], grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's `.grad` (torch.autograd.backward)."""
    roots, root_grads = _roots_and_grads(tensors, grad_tensors, "backward")
    run_backward(roots, root_grads, create_graph if retain_graph is None else retain_graph, create_graph)


def grad(outputs: TensorBase | Sequence[TensorBase], inputs: TensorBase | Sequence[TensorBase],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Return d(outputs)/d(inputs) without touching any `.grad` (torch.autograd.grad)."""
    roots, root_grads = _roots_and_grads(outputs, grad_outputs, "grad")
    wanted = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    for position, x in enumerate(wanted):
        if not isinstance(x, TensorBase):
            raise TypeError(f"grad(): inputs[{position}] is a {type(x).__name__}, expected a Tensor")
        if not x.requires_grad:
            raise RuntimeError(f"grad(): inputs[{position}] (shape {x.data.shape}) does not require grad")
    keep = create_graph if retain_graph is None else retain_graph
    captured = run_backward(roots, root_grads, keep, create_graph, wanted=wanted)
    assert captured is not None  # with `wanted`, run_backward collects the gradients instead of filling .grad
    result: list[Tensor | None] = []
    for position, x in enumerate(wanted):
        value = captured[id(x)]
        if value is None and not allow_unused:
            raise RuntimeError(
                f"grad(): inputs[{position}] (shape {x.data.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        result.append(value)
    return tuple(result)


def _roots_and_grads(tensors: Any, grads: Any, caller: str) -> tuple[list[TensorBase], list[TensorBase]]:
    """Check the outputs to differentiate and pair each with its starting gradient."""
    roots = [tensors] if isinstance(tensors, TensorBase) else list(tensors)
    if grads is None:
        grads = [None] * len(roots)
    elif isinstance(grads, TensorBase) or not isinstance(grads, list | tuple):
        grads = [grads]
    if len(grads) != len(roots):
        raise ValueError(f"{caller}(): got {len(roots)} outputs but {len(grads)} gradients")
    root_grads = []
    for position, (root, grad) in enumerate(zip(roots, grads)):
        if not isinstance(root, TensorBase):
            raise TypeError(f"{caller}(): outputs[{position}] is a {type(root).__name__}, expected a Tensor")
        if not root.requires_grad:
            raise RuntimeError(
                f"{caller}(): output {position} (shape {root.data.shape}) does not require grad and has no "
                "grad_fn: nothing that produced it requires grad, or it was computed under no_grad()"
            )
        if grad is None:
            if root.data.size != 1:
                raise RuntimeError(
                    f"{caller}(): grad can be implicitly created only for scalar outputs; output {position} has "
                    f"shape {root.data.shape}, so pass a `gradient` of that shape"
                )
            grad_array = np.ones_like(root.data)
        else:
            grad_array = grad.data if isinstance(grad, TensorBase) else np.asarray(grad)
            if grad_array.shape != root.data.shape:
                raise RuntimeError(
                    f"{caller}(): gradient has shape {grad_array.shape} but output {position} has shape "
                    f"{root.data.shape}"
                )
            if isinstance(grad, TensorBase) and grad.requires_grad:
                root_grads.append(grad)  # a differentiable seed (double backward through it)
                continue
            grad_array = np.array(grad_array, dtype=root.data.dtype)  # a copy: never alias the caller's
        root_grads.append(root._from_op(grad_array, None))
    return roots, root_grads
