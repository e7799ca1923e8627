"""trace_forward: watch tangents flow forward, one recorded step per op, next to its value.

Layer L4: imports `autograd.forward_ad`, nothing above it. Inside
`with dual_level(), trace_forward() as trace:` every `make_dual` and every op that computes a
tangent appends one `ForwardStep`: the op, which earlier steps (or named tensors) it read, the
value it produced and the tangent its `jvp` rule gave it. `print(trace)` shows the table; it is
the forward-mode twin of `trace_backward` (trace.py), and docs/forward_and_reverse.md puts the
two side by side. forward_ad keeps a module-level `tracer` slot that this file sets and
restores, so with no trace active the cost is one `if` per op that has a tangent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .autograd import forward_ad
from .autograd.function import TensorBase


@dataclass(frozen=True)
class ForwardStep:
    """One op that produced a tangent, in the order the forward pass ran it."""

    position: int                # its place in the forward pass (#0, #1, ...)
    op: str                      # the Function's name, or "make_dual" for a seed
    inputs: tuple[str, ...]      # each argument that carried a tangent: "#k" (an earlier step) or a name
    value: np.ndarray            # the output's value (a copy)
    tangent: np.ndarray          # the output's tangent (a copy): d value along the seeded direction


class ForwardTrace:
    """The record of every tangent computed inside one `with trace_forward()` block."""

    def __init__(self) -> None:
        self.steps: list[ForwardStep] = []
        self._labels: dict[int, tuple[TensorBase, str]] = {}  # id -> (tensor kept alive, "#k")
        self._outer: Any = None

    def __enter__(self) -> ForwardTrace:
        self._outer = forward_ad.tracer
        forward_ad.tracer = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        forward_ad.tracer = self._outer  # restored even when the block raised
        self._labels.clear()

    def record(self, op: Any, args: tuple[Any, ...], tangents: tuple[Any, ...] | list[Any], result: TensorBase,
               tangent: TensorBase) -> None:
        """Called by forward_ad after an op's jvp rule (or make_dual) gave `result` its tangent."""
        position = len(self.steps)
        read = tuple(self._label(x) for x, t in zip(args, tangents) if t is not None)
        if op is forward_ad.make_dual:
            read = (self._label(args[0]),)
        self.steps.append(ForwardStep(position, getattr(op, "__name__", str(op)), read,
                                      np.array(result.data), np.array(tangent.data)))
        self._labels[id(result)] = (result, f"#{position}")

    def _label(self, x: Any) -> str:
        known = self._labels.get(id(x))
        if known is not None and known[0] is x:
            return known[1]
        if isinstance(x, TensorBase) and x.name is not None:
            return x.name
        return f"<{tuple(x.data.shape)}>" if isinstance(x, TensorBase) else repr(x)

    def __len__(self) -> int:
        return len(self.steps)

    def __str__(self) -> str:
        rows = [("step", "op", "reads", "value", "tangent")]
        for step in self.steps:
            rows.append((f"#{step.position}", step.op, ", ".join(step.inputs), _compact(step.value),
                         _compact(step.tangent)))
        widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def trace_forward() -> ForwardTrace:
    """Record every tangent computed inside the `with` block (use it inside a dual_level())."""
    return ForwardTrace()


def _compact(array: np.ndarray) -> str:
    """Small arrays in full (4 significant digits), bigger ones as their shape and norm."""
    if array.size <= 4:
        return np.array2string(array, precision=4, separator=", ", suppress_small=True)
    return f"{array.shape} |{float(np.linalg.norm(array.reshape(-1))):.4g}|"
