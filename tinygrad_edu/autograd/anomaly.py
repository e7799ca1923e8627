"""Anomaly mode: find the forward line behind a NaN gradient (torch.autograd.detect_anomaly).

Layer L1 (stdlib and NumPy only at run time). While it is on, `Function.apply` stores the Python traceback of
every recorded op on its node, and the engine checks every gradient a backward returns: the
first NaN raises a RuntimeError naming the backward function and the output index, followed by
the traceback of the forward call that created the node. Off (the default), the cost is one
module-attribute read per recorded op and per backward node. The switch is process-wide, as in
PyTorch. See docs/architecture.md ("Anomaly mode").
"""
from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .function import Context

enabled = False


def is_anomaly_enabled() -> bool:
    """True while anomaly mode records forward tracebacks and checks gradients for NaN."""
    return enabled


def set_detect_anomaly(mode: bool) -> None:
    """Switch anomaly mode on or off for the whole process (torch.autograd.set_detect_anomaly)."""
    global enabled
    enabled = bool(mode)


class detect_anomaly:
    """Anomaly mode inside a `with` block: NaN gradients raise and show where the op was created."""

    def __init__(self) -> None:
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(enabled)
        set_detect_anomaly(True)

    def __exit__(self, *exc_info: object) -> None:
        set_detect_anomaly(self.previous.pop())


def forward_stack() -> str:
    """The traceback of the op being recorded now, without the library's own frames."""
    frames = [f for f in traceback.extract_stack() if "tinygrad_edu" not in f.filename.replace("\\", "/")]
    return "".join(traceback.format_list(frames[-8:]))


def check_gradients(node: Context, input_grads: tuple[Any, ...]) -> None:
    """Raise if a gradient returned by `node`'s backward holds NaN, as PyTorch words it."""
    for index, grad in enumerate(input_grads):
        if grad is None:
            continue
        values = np.asarray(grad if isinstance(grad, np.ndarray) else getattr(grad, "data", grad))
        if values.dtype.kind in "fc" and np.isnan(values).any():
            where = node.creation_stack or "(the node was created before anomaly mode was turned on)\n"
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.\n"
                               f"Traceback of the forward call that created {node.name()}:\n{where}")
