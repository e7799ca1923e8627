"""Draw the graph that produced a tensor: Graphviz DOT text, rendered by the `dot` program if present.

Layer L4: reads the graph through the fields every tensor has (`data`, `grad`, `grad_fn`, `name`)
and the nodes' `inputs`; imports autograd and ops.shape only. `to_dot(y)` walks from `y` back to
the leaves and returns a `DotGraph`: `str()` is the DOT text (no dependency needed), `render(path)`
writes SVG/PNG/PDF with Graphviz, and Jupyter shows it inline through `_repr_svg_`. Edges into a
BroadcastTo node (whose backward sums axes away) and edges out of a tensor used more than once
(whose gradients backward adds up) are drawn in colour and labelled. See docs/tour.md.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from .autograd.function import Context, TensorBase
from .ops.shape import BroadcastTo, SumTo, summed_axes

FORMATS = ("svg", "png", "pdf")
BROADCAST_COLOR = "#d95f02"
FAN_OUT_COLOR = "#1b62b3"
GRAD_COLOR = "#c00000"
# The book draws ops as their symbol in a circle; used only when values_on_edges=True.
SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "÷"}


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's `dot` program and it is not on PATH."""


class DotGraph:
    """DOT text of a graph; `str()` gives the text, `render()` a picture (needs Graphviz)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<DotGraph: {self.source.count(' -> ')} edges; str() gives DOT text, render(path) a picture>"

    def save(self, path: str | Path) -> Path:
        """Write the DOT text itself (works without Graphviz)."""
        path = Path(path)
        path.write_text(self.source + "\n", encoding="utf-8")
        return path

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered picture as bytes, produced by `dot -T<format>`."""
        if format not in FORMATS:
            raise ValueError(f"render format must be one of {FORMATS}, got {format!r}")
        program = shutil.which("dot")
        if program is None:
            raise GraphvizNotFoundError(
                "rendering needs Graphviz's `dot` program, which is not on PATH. Install it with "
                "`sudo apt-get install graphviz` (Debian/Ubuntu), `conda install -c conda-forge graphviz` or "
                "`brew install graphviz` (macOS); without it, str(graph) or graph.save('graph.dot') still give "
                "the DOT text, which any Graphviz viewer can open."
            )
        result = subprocess.run([program, f"-T{format}"], input=self.source.encode("utf-8"), capture_output=True,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError(f"dot failed (exit {result.returncode}): {result.stderr.decode(errors='replace')}")
        return result.stdout

    def render(self, path: str | Path, format: str | None = None) -> Path:
        """Write the picture to `path`; the format is `format`, else the file's suffix (.svg, .png, .pdf)."""
        path = Path(path)
        format = format or path.suffix.lstrip(".").lower()
        if format not in FORMATS:
            raise ValueError(f"cannot tell the picture format of {str(path)!r}: pass format= one of {FORMATS}")
        path.write_bytes(self.pipe(format))
        return path

    def _repr_svg_(self) -> str | None:
        """Jupyter's inline display; None (plain repr instead) when Graphviz is missing."""
        if shutil.which("dot") is None:
            return None
        return self.pipe("svg").decode("utf-8")


def to_dot(tensor: TensorBase, show_values: bool = False, show_grads: bool = True, *,
           values_on_edges: bool = False, rankdir: str = "LR") -> DotGraph:
    """The graph that produced `tensor` as DOT: one node per tensor and one per op (its grad_fn).

    Args:
        show_values: add each tensor's value (a number, or norm/min/max of an array).
        show_grads: add each tensor's `.grad` the same way, where it has one (leaves after
            backward; non-leaves only after retain_grad()).
        values_on_edges: draw it as the book does: ops as their symbol, an intermediate tensor
            as the arrow between two ops, its value above and its gradient (red) below.
        rankdir: Graphviz layout direction, "LR" (left to right) or "TB" (top to bottom).
    """
    if not isinstance(tensor, TensorBase):
        raise TypeError(f"to_dot() draws the graph of a Tensor, got a {type(tensor).__name__}")
    graph = _walk(tensor)
    lines = [f"digraph {_quote(tensor.name or 'graph')} {{", f"  rankdir={rankdir};",
             '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];']
    if values_on_edges:
        lines += _book_style(graph, show_values, show_grads)
    else:
        lines += _tensor_style(graph, show_values, show_grads)
    lines.append("}")
    return DotGraph("\n".join(lines))


class _Graph:
    """Tensors and ops reachable from the root, numbered in the order found (so output is stable)."""

    def __init__(self) -> None:
        self.tensors: dict[Any, tuple[str, TensorBase]] = {}  # key -> (node id, tensor)
        self.ops: dict[Context, str] = {}
        self.inputs: list[tuple[Any, Context, int]] = []   # (tensor key, consumer, argument position)
        self.outputs: list[tuple[Context, Any]] = []       # (producer, tensor key)
        self.uses: dict[Any, int] = {}
        self.root: Any = None

    def tensor_key(self, x: TensorBase) -> Any:
        # An op's output is named by (node, output index); a leaf by its identity.
        key = (x.grad_fn, x.output_nr) if x.grad_fn is not None else id(x)
        if key not in self.tensors:
            self.tensors[key] = (f"t{len(self.tensors)}", x)
        elif x.name is not None and self.tensors[key][1].name is None:
            self.tensors[key] = (self.tensors[key][0], x)
        return key


def _walk(root: TensorBase) -> _Graph:
    graph = _Graph()
    graph.root = graph.tensor_key(root)
    stack = [root]
    produced: set[Any] = set()
    while stack:
        x = stack.pop()
        ctx = x.grad_fn
        if ctx is None:
            continue
        output = (ctx, graph.tensor_key(x))
        if output not in produced:  # a multi-output op is reached once per output used
            produced.add(output)
            graph.outputs.append(output)
        if ctx in graph.ops:
            continue
        graph.ops[ctx] = f"op{len(graph.ops)}"
        found = []
        for position, arg in enumerate(ctx.args):
            if isinstance(arg, TensorBase):
                key = graph.tensor_key(arg)
                graph.inputs.append((key, ctx, position))
                if arg.requires_grad:  # only gradients that flow back are added up
                    graph.uses[key] = graph.uses.get(key, 0) + 1
                found.append(arg)
        stack.extend(reversed(found))  # depth first, first argument first
    return graph


def _tensor_style(graph: _Graph, show_values: bool, show_grads: bool) -> list[str]:
    lines = []
    for key, (node_id, x) in graph.tensors.items():
        label = _tensor_label(x, show_values, show_grads)
        uses = graph.uses.get(key, 0)
        attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff2cc" if x.grad_fn is None else "#f5f5f5"}
        if uses > 1:
            label += f"\nused {uses}x: backward adds {uses} gradients"
            attrs["color"] = FAN_OUT_COLOR
        if key == graph.root:
            attrs["penwidth"] = "2"
        lines.append(f"  {node_id} [label={_quote(label)}{_attrs(attrs)}];")
    for ctx, op_id in graph.ops.items():
        attrs = {"shape": "ellipse", "style": "filled", "fillcolor": "#dae8fc"}
        if ctx.freed:
            attrs["style"] = "dashed"
        lines.append(f"  {op_id} [label={_quote(_op_label(ctx))}{_attrs(attrs)}];")
    seen_uses: dict[Any, int] = {}
    for key, ctx, position in graph.inputs:
        attrs = _input_edge(graph, key, ctx, position, seen_uses)
        lines.append(f"  {graph.tensors[key][0]} -> {graph.ops[ctx]}{_attrs(attrs, first=True)};")
    for ctx, key in graph.outputs:
        lines.append(f"  {graph.ops[ctx]} -> {graph.tensors[key][0]};")
    return lines


def _input_edge(graph: _Graph, key: Any, ctx: Context, position: int, seen_uses: dict[Any, int]) -> dict[str, str]:
    """Label the edge from an input tensor into an op: argument position, broadcasting, fan-out."""
    notes = []
    attrs: dict[str, str] = {}
    tensor_args = sum(isinstance(arg, TensorBase) for arg in ctx.args)
    if tensor_args > 1:
        notes.append(f"arg {position}")
    x = graph.tensors[key][1]
    if ctx.function is BroadcastTo and position == 0:
        target = ctx.output_arrays[0].shape
        notes.append(f"broadcast {_shape(x.data.shape)} → {_shape(target)}\n"
                     f"backward sums axes {summed_axes(target, x.data.shape)}")
        attrs.update(color=BROADCAST_COLOR, fontcolor=BROADCAST_COLOR, penwidth="2")
    elif ctx.function is SumTo and position == 0:
        notes.append(f"sum_to {_shape(ctx.output_arrays[0].shape)}\nbackward broadcasts back")
        attrs.update(color=BROADCAST_COLOR, fontcolor=BROADCAST_COLOR)
    uses = graph.uses.get(key, 0)
    if uses > 1:
        seen_uses[key] = seen_uses.get(key, 0) + 1
        notes.append(f"use {seen_uses[key]} of {uses}: gradients added")
        attrs.update(color=FAN_OUT_COLOR, fontcolor=FAN_OUT_COLOR, penwidth="2")
    if notes:
        attrs["label"] = "\n".join(notes)
    return attrs


def _book_style(graph: _Graph, show_values: bool, show_grads: bool) -> list[str]:
    """Ops as circles, leaves and the root as plain text, intermediate tensors as labelled arrows."""
    lines = []
    producer = {key: ctx for ctx, key in graph.outputs}
    for key, (node_id, x) in graph.tensors.items():
        if x.grad_fn is None or key == graph.root:
            lines.append(f"  {node_id} [label={_quote(x.name or _shape(x.data.shape))}, shape=plaintext];")
    for ctx, op_id in graph.ops.items():
        symbol = SYMBOLS.get(ctx.function.__name__, ctx.function.__name__)
        lines.append(f"  {op_id} [label={_quote(symbol)}, shape=circle, style=filled, fillcolor=\"#dae8fc\"];")
    for key, ctx, _ in graph.inputs:
        x = graph.tensors[key][1]
        source = graph.tensors[key][0] if key not in producer else graph.ops[producer[key]]
        attrs = {"color": FAN_OUT_COLOR} if graph.uses.get(key, 0) > 1 else {}
        lines.append(f"  {source} -> {graph.ops[ctx]} [label={_edge_html(x, show_values, show_grads)}"
                     f"{_attrs(attrs)}];")
    root_id, root = graph.tensors[graph.root]
    if graph.root in producer:
        lines.append(f"  {graph.ops[producer[graph.root]]} -> {root_id} "
                     f"[label={_edge_html(root, show_values, show_grads)}];")
    return lines


def _tensor_label(x: TensorBase, show_values: bool, show_grads: bool) -> str:
    lines = []
    if x.name is not None:
        lines.append(x.name)
    lines.append(f"{_shape(x.data.shape)} {x.data.dtype}")
    if x.grad_fn is None:
        lines.append(f"requires_grad={x.requires_grad}")
    if show_values:
        lines.append("value " + _summary(x.data))
    if show_grads and x.grad is not None:
        lines.append("grad " + _summary(x.grad.data))
    return "\n".join(lines)


def _op_label(ctx: Context) -> str:
    label = ctx.name()
    if ctx.freed:
        return label + "\n(freed by backward)"
    constants = [repr(arg) for arg in ctx.args if not isinstance(arg, TensorBase)]
    if constants:
        label += "\n" + ", ".join(constants)
    return label


def _edge_html(x: TensorBase, show_values: bool, show_grads: bool) -> str:
    parts = []
    if show_values:
        parts.append(_html(_summary(x.data)))
    if show_grads and x.grad is not None:
        parts.append(f'<FONT COLOR="{GRAD_COLOR}">{_html(_summary(x.grad.data))}</FONT>')
    return "<" + ("<BR/>".join(parts) or " ") + ">"


def _summary(array: Any) -> str:
    array = np.asarray(array)
    if array.size == 0:
        return "(empty)"
    if array.size == 1:
        return f"{array.reshape(-1)[0].item():.6g}"
    values = array.astype(np.float64)
    return f"norm {np.linalg.norm(values):.4g} min {values.min():.4g} max {values.max():.4g}"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _attrs(attrs: dict[str, str], first: bool = False) -> str:
    text = ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items())
    if not text:
        return ""
    return (" [" + text + "]") if first else (", " + text)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
