"""trace_backward: watch the backward engine work, one recorded step per graph node.

Layer L4: imports the autograd engine and ops.shape, nothing above them. Inside
`with trace_backward() as trace:` every backward pass (tensor.backward(), autograd.grad) appends
one `Step` per node it visits, in the order the engine visits them: the gradient that arrived
(shape, norm, how many contributions were summed into it), each gradient handed on (shape, norm,
where it went and whether it was added to one already there), the axes a BroadcastTo node sums
away, and what the node released afterwards. `print(trace)` shows a table, `trace.steps` the data.

The engine keeps a module-level `tracer` slot that this file sets and restores; run_backward reads
it once per call, so with no trace active the cost is one `if` per node. The engine reports what
it did with each gradient (the event words below); the tracer only formats it. See docs/tour.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .autograd import engine
# What happened to a gradient handed on: the engine reports one of these for every gradient.
from .autograd.engine import (CAPTURED, CAPTURED_SUM, FAN_IN_SUM, GRAD_ACCUMULATED, GRAD_SET,  # noqa: F401
                              HANDED_ON, NOT_REQUESTED)
from .autograd.function import Context, TensorBase
from .ops.shape import BroadcastTo, summed_axes


@dataclass(frozen=True)
class GradientFlow:
    """One gradient a node's backward returned, and where the engine put it."""

    input: int               # position of the input among the node's forward arguments
    label: str               # the input tensor's name, or a description when it has none
    shape: tuple[int, ...]   # shape of the gradient as backward returned it (the engine then checks it)
    norm: float              # its Euclidean norm
    to: str                  # "x.grad", the producing node ("MulBackward #2"), or "grad() result"
    event: str               # one of the constants above (GRAD_SET, FAN_IN_SUM, ...)


@dataclass(frozen=True)
class Step:
    """One node of one backward pass, in the order the engine visited it."""

    run: int                          # which backward pass of this trace (0, 1, ...)
    position: int                     # the node's place in the topological order of its pass
    node: str                         # the grad_fn name, e.g. "MulBackward"
    output: str | None                # name of the tensor the node produced, when it has one
    # shape of the gradient that arrived (the output's shape); for a node with several outputs
    # (max(dim), split, ...), one shape per output a gradient arrived at
    grad_shape: tuple[int, ...] | tuple[tuple[int, ...], ...]
    grad_norm: float
    contributions: int                # gradients summed into it: 1, or more where the output fanned out
    seed: bool                        # the gradient includes the seed given to backward()
    flows: tuple[GradientFlow, ...]   # gradients handed on, in argument order (inputs without one left out)
    summed_axes: tuple[int, ...] | None  # BroadcastTo: the axes its backward sums the gradient over
    retained: bool                    # the output's gradient was kept in its .grad (retain_grad())
    freed: tuple[str, ...]            # what the node let go of after the step (empty with retain_graph)


@dataclass(frozen=True)
class Run:
    """One backward pass: what started it."""

    roots: tuple[str, ...]            # the output tensors differentiated (names or descriptions)
    seed_shapes: tuple[tuple[int, ...], ...]
    nodes: int                        # nodes in topological order (a node no gradient reaches is skipped)
    retain_graph: bool
    create_graph: bool
    grad_call: bool                   # True for autograd.grad(), which touches no .grad


class Trace:
    """The record of every backward pass run inside one `with trace_backward()` block.

    Blocks nest: an inner block records on its own until it exits, then the outer one resumes.
    """

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.runs: list[Run] = []
        self._outer: Any = None
        self._active = False

    def __enter__(self) -> Trace:
        if self._active:
            raise RuntimeError("this trace is already recording; use a new trace_backward() for a nested block")
        self._outer = engine.tracer
        self._active = True
        engine.tracer = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        engine.tracer = self._outer  # restored even when the block raised
        self._outer = None
        self._active = False

    def start_run(self, roots: Sequence[TensorBase], root_grads: Sequence[TensorBase], order: Sequence[Context],
                  grads: dict[Context, Any], run: Any, retain_graph: bool) -> RunRecorder:
        """Called by the engine once per backward pass, before its loop."""
        create_graph, grad_call = run.create_graph, run.captured is not None
        self.runs.append(Run(
            roots=tuple(_label(root) for root in roots),
            seed_shapes=tuple(tuple(np.shape(g.data)) for g in root_grads),
            nodes=len(order), retain_graph=retain_graph, create_graph=create_graph, grad_call=grad_call,
        ))
        return RunRecorder(self, len(self.runs) - 1, roots, order, retain_graph)

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"<Trace: {len(self.runs)} backward pass(es), {len(self.steps)} steps>"

    def __str__(self) -> str:
        return format_table(self)


class RunRecorder:
    """Records the steps of one backward pass; the engine calls `record` once per node."""

    def __init__(self, trace: Trace, run: int, roots: Sequence[TensorBase], order: Sequence[Context],
                 retain_graph: bool) -> None:
        self.trace, self.run = trace, run
        self.retain_graph = retain_graph
        self.position = {node: k for k, node in enumerate(order)}
        # Gradients that arrived at each node so far; the seeds are the first ones.
        self.arrivals: dict[Context, int] = {}
        self.seeded: set[Context] = set()
        # Names of the tensors each node produced, learnt from the consumers that come first.
        self.names: dict[Context, str] = {}
        for root in roots:
            if root.grad_fn is not None:
                self.arrivals[root.grad_fn] = self.arrivals.get(root.grad_fn, 0) + 1
                self.seeded.add(root.grad_fn)
                if root.name is not None:
                    self.names[root.grad_fn] = root.name

    def record(self, node: Context, grad_outputs: tuple[Any, ...], flows: list[tuple[int, Any, str]]) -> None:
        """Called after the engine handed a node's gradients on: `flows` says what it did with each."""
        for x in node.args:
            if isinstance(x, TensorBase) and x.grad_fn is not None and x.name is not None:
                self.names.setdefault(x.grad_fn, x.name)
        recorded = []
        for index, grad, event in flows:
            x, edge = node.args[index], node.next_edges[index]
            producer = None if edge is None else edge[0]  # the engine hands nothing on along a None edge
            if producer is None:
                to = "grad() result" if event in (CAPTURED, CAPTURED_SUM) else (
                    "-" if event == NOT_REQUESTED else f"{_label(x)}.grad")
            else:
                to = f"{producer.name()} #{self.position[producer]}"
                self.arrivals[producer] = self.arrivals.get(producer, 0) + 1
            value = np.asarray(grad.data)
            recorded.append(GradientFlow(index, _label(x), tuple(value.shape), _norm(value), to, event))
        grad_out = grad_outputs[0] if len(grad_outputs) == 1 else None
        axes = None
        if node.function is BroadcastTo and grad_out is not None:
            axes = summed_axes(tuple(grad_out.data.shape), tuple(node.args[0].data.shape))
        held = () if self.retain_graph else tuple(
            label for field, label in _HELD.items() if field in vars(node))
        arrived = [g for g in grad_outputs if g is not None]
        retained = node.retained is not None and any(r() is not None for r in node.retained.values())
        self.trace.steps.append(Step(
            run=self.run, position=self.position[node], node=node.name(), output=self.names.get(node),
            grad_shape=tuple(arrived[0].data.shape) if len(arrived) == 1 else tuple(tuple(g.shape) for g in arrived),
            grad_norm=_norm(np.concatenate([np.ravel(g.data) for g in arrived])) if arrived else 0.0,
            contributions=self.arrivals.get(node, 1), seed=node in self.seeded, flows=tuple(recorded),
            summed_axes=axes, retained=retained, freed=held,
        ))


def trace_backward() -> Trace:
    """Record every backward pass run inside the `with` block: `with trace_backward() as trace:`."""
    return Trace()


# What a node keeps for backward, by field, as the table names it ("freed: inputs, outputs").
_HELD = {"args": "inputs", "saved": "saved values", "output_arrays": "outputs"}


def _label(x: Any) -> str:
    if not isinstance(x, TensorBase):
        return repr(x)
    if x.name is not None:
        return x.name
    if x.grad_fn is not None:
        return f"<{x.grad_fn.function.__name__} output>"
    return f"<leaf {tuple(x.data.shape)}>"


def _norm(value: Any) -> float:
    return float(np.linalg.norm(np.asarray(value, dtype=np.float64).reshape(-1)))


def _number(value: float) -> str:
    return f"{value:.4g}"


def format_table(trace: Trace) -> str:
    """The trace as text: one block per backward pass, one row per gradient handed on."""
    if not trace.runs:
        return "trace_backward: no backward pass ran inside the block"
    lines = []
    for run_index, run in enumerate(trace.runs):
        kind = "autograd.grad" if run.grad_call else "backward"
        lines.append(f"{kind} #{run_index} from {', '.join(run.roots)}: {run.nodes} nodes, "
                     f"retain_graph={run.retain_graph}, create_graph={run.create_graph}")
        rows: list[tuple[str, ...]] = [("step", "node", "grad in", "input", "grad out", "to", "what happened")]
        steps = [s for s in trace.steps if s.run == run_index]
        for step in steps:
            node = step.node + (f" ({step.output})" if step.output else "")
            arrived = f"{step.grad_shape} |{_number(step.grad_norm)}|"
            if step.seed:
                arrived += " seed" + (f" + {step.contributions - 1}" if step.contributions > 1 else "")
            elif step.contributions > 1:
                arrived += f" sum of {step.contributions}"
            if step.retained:
                arrived += ", kept in .grad"
            notes = [f"summed over axes {step.summed_axes}"] if step.summed_axes is not None else []
            first = (f"#{step.position}", node, arrived)
            if not step.flows:
                rows.append(first + ("", "", "", "no gradient handed on"))
            for k, flow in enumerate(step.flows):
                event = "; ".join([flow.event] + (notes if k == 0 else []))
                rows.append((first if k == 0 else ("", "", "")) + (
                    f"{flow.input} {flow.label}", f"{flow.shape} |{_number(flow.norm)}|", flow.to, event))
            if step.freed:
                rows.append(("freed: " + ", ".join(step.freed),))  # spans the columns from "input" on
        widths = [max(len(row[c]) for row in rows if len(row) > 1) for c in range(len(rows[0]))]
        indent = " " * (sum(widths[:3]) + 6)
        for row in rows:
            if len(row) == 1:
                lines.append(indent + row[0])
            else:
                lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return "\n".join(lines)
