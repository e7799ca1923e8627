"""The backward engine: order the graph, then walk it once from the output to the leaves.

Layer L1: sees tensors only through `data`, `grad`, `grad_fn`, `requires_grad` and a few Tensor
methods (`+`, `to`, `_from_op`); never imports `_tensor.py`. `topological_sort` is an iterative
depth-first search (no recursion limit on deep graphs). `run_backward` sums the gradients that
arrive at each node (fan-in), calls its `backward`, checks each gradient's shape, and hands the
results on, to the producing node or, at a leaf, into `.grad`. See docs/architecture.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._grad_mode import set_grad_enabled
from .function import Context, TensorBase

# A recorder set by tinygrad_edu.trace.trace_backward() (layer L4) while its block runs; None otherwise.
tracer: Any = None


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
        for x in reversed(node.inputs):  # reversed so the first argument is explored first
            if isinstance(x, TensorBase) and x.grad_fn is not None and x.grad_fn not in visited:
                stack.append((x.grad_fn, False))
    finished.reverse()  # post-order reversed: consumers before producers
    return finished


def run_backward(
    roots: Sequence[TensorBase],
    root_grads: Sequence[TensorBase],
    retain_graph: bool,
    create_graph: bool,
    wanted: Sequence[TensorBase] | None = None,
) -> dict[int, Any] | None:
    """Propagate `root_grads` from `roots` to every leaf's `.grad`, or, with `wanted`, only
    collect the gradients of those tensors (keyed by id) and touch no `.grad` at all, which is
    the contract of torch.autograd.grad.
    """
    capture: dict[int, Any] | None = None
    captured_nodes: dict[Context, int] = {}
    if wanted is not None:
        capture = {id(t): None for t in wanted}
        captured_nodes = {t.grad_fn: id(t) for t in wanted if t.grad_fn is not None}
    grads: dict[Context, TensorBase] = {}
    stored: set[int] = set()
    for root, grad in zip(roots, root_grads):
        if root.grad_fn is None:
            _deliver_to_leaf(root, grad, create_graph, capture, stored)
        else:
            previous = grads.get(root.grad_fn)
            grads[root.grad_fn] = grad if previous is None else previous + grad
    order = topological_sort([root.grad_fn for root in roots if root.grad_fn is not None])
    trace = tracer  # read once: with no trace active the loop pays one `if` per node
    if trace is not None:
        trace = trace.start_run(roots, root_grads, order, grads, capture, retain_graph, create_graph)
    with set_grad_enabled(create_graph):  # plain backward records nothing
        for node in order:
            grad_out = grads.pop(node, None)
            if grad_out is None:
                continue  # every consumer returned None for this node
            if node in captured_nodes:
                capture[captured_nodes[node]] = grad_out  # type: ignore[index]
            if node.retained is not None and capture is None:
                _retain(node, grad_out, create_graph)
            input_grads = node.function.backward(node, grad_out)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            inputs = node.inputs
            if len(input_grads) != len(inputs):
                raise RuntimeError(
                    f"{node.function.__name__}.backward returned {len(input_grads)} gradients "
                    f"for {len(inputs)} forward arguments (return None for arguments without one)"
                )
            if trace is not None:
                trace.record(node, grad_out, input_grads)
            for index, (x, grad, needs_grad) in enumerate(zip(inputs, input_grads, node.needs_input_grad)):
                if grad is None or not needs_grad:
                    continue
                if not isinstance(grad, TensorBase) or grad.data.shape != x.data.shape \
                        or grad.data.dtype != x.data.dtype:
                    grad = _checked_gradient(node, index, x, grad)
                producer = x.grad_fn
                if producer is None:
                    _deliver_to_leaf(x, grad, create_graph, capture, stored)
                else:
                    previous = grads.get(producer)
                    grads[producer] = grad if previous is None else previous + grad
            if not retain_graph:
                _free(node)
    return capture


def _checked_gradient(node: Context, index: int, x: TensorBase, grad: Any) -> TensorBase:
    """A gradient as a Tensor of exactly the input's shape and dtype, or a clear error."""
    if not isinstance(grad, TensorBase):
        if not isinstance(grad, np.ndarray | np.generic | float | int):
            raise TypeError(
                f"{node.function.__name__}.backward returned a {type(grad).__name__} for input {index}; "
                "expected a Tensor, a NumPy array or None"
            )
        grad = x._from_op(np.asarray(grad, dtype=x.data.dtype), None)
    if grad.data.shape != x.data.shape:
        raise RuntimeError(
            f"{node.function.__name__}.backward returned grad of shape {grad.data.shape} "
            f"for input {index} of shape {x.data.shape}"
        )
    if grad.data.dtype != x.data.dtype:
        grad = grad.to(x.data.dtype)
    return grad


def _deliver_to_leaf(
    x: TensorBase, grad: TensorBase, create_graph: bool, capture: dict[int, Any] | None, stored: set[int]
) -> None:
    """Add a leaf's gradient into `.grad` (or into `capture`), never aliasing another leaf's."""
    if capture is not None:
        key = id(x)
        if key in capture:
            previous = capture[key]
            capture[key] = grad if previous is None else previous + grad
        return
    if create_graph:
        x.grad = grad if x.grad is None else x.grad + grad  # keeps the graph of the gradient
        return
    if x.grad is None:
        array = grad.data
        # .grad must own a writable array, since users write `w.grad.zero_()`: copy a read-only
        # broadcast view (Sum's backward), a view into another gradient (Reshape, Transpose), or
        # an array already handed to another leaf (Add returns one array twice).
        if id(array) in stored or array.base is not None or not array.flags.writeable:
            array = array.copy()
        stored.add(id(array))
        x.grad = x._from_op(array, None)
    else:
        # Rebind instead of adding in place: gradient arrays may be shared views, never mutate them.
        x.grad.data = x.grad.data + grad.data


def _retain(node: Context, grad: TensorBase, create_graph: bool) -> None:
    tensor = node.retained()
    if tensor is None:
        return
    if tensor.grad is None:
        tensor.grad = grad if create_graph else tensor._from_op(grad.data, None)
    else:
        tensor.grad = tensor.grad + grad if create_graph else tensor._from_op(tensor.grad.data + grad.data, None)


def _free(node: Context) -> None:
    """Drop what the node kept for backward; a second backward through it then raises."""
    function, retained = node.function, node.retained
    node.__dict__.clear()  # inputs, saved arrays, output: the class-level defaults show through
    node.function, node.retained, node.freed = function, retained, True


def backward(
    tensors: TensorBase | Sequence[TensorBase],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's `.grad` (torch.autograd.backward)."""
    roots, root_grads = _roots_and_grads(tensors, grad_tensors, "backward")
    run_backward(roots, root_grads, create_graph if retain_graph is None else retain_graph, create_graph)


def grad(
    outputs: TensorBase | Sequence[TensorBase],
    inputs: TensorBase | Sequence[TensorBase],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[TensorBase | None, ...]:
    """Return d(outputs)/d(inputs) without touching any `.grad` (torch.autograd.grad)."""
    roots, root_grads = _roots_and_grads(outputs, grad_outputs, "grad")
    wanted = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    for position, x in enumerate(wanted):
        if not isinstance(x, TensorBase):
            raise TypeError(f"grad(): inputs[{position}] is a {type(x).__name__}, expected a Tensor")
        if not x.requires_grad:
            raise RuntimeError(f"grad(): inputs[{position}] (shape {x.data.shape}) does not require grad")
    keep = create_graph if retain_graph is None else retain_graph
    capture = run_backward(roots, root_grads, keep, create_graph, wanted=wanted)
    result = []
    for position, x in enumerate(wanted):
        value = capture[id(x)]
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
                    f"{caller}(): output {position} has shape {root.data.shape}; a gradient can only be "
                    "created implicitly for a single-element output, so pass `gradient` of that shape"
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
