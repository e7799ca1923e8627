"""Grad mode: whether new operations are recorded into the autograd graph, per thread.

Layer L0 (stdlib only). As in PyTorch the mode is thread-local: a `no_grad()` block or a
`backward()` in one thread never changes what another thread records. `Function.apply` reads
`_grad_mode.local.enabled` on every op: one attribute load on a `threading.local` whose class
attribute is the default for threads that never set it. `no_grad`, `enable_grad`,
`set_grad_enabled` and `inference_mode` work as context managers and as decorators;
`set_grad_enabled(False)` called on its own takes effect at once, as `torch.set_grad_enabled`.
See docs/architecture.md ("Grad mode is per thread").
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _ThreadMode(threading.local):
    """One instance per thread; the class attribute is what a new thread starts with."""

    enabled = True


local = _ThreadMode()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded in this thread."""
    return local.enabled


class _Mode:
    """Set grad mode for a `with` block or a decorated function, then restore the previous one."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.previous: list[bool] = []  # a stack, so one instance may be entered re-entrantly

    def __enter__(self) -> None:
        self.previous.append(local.enabled)
        local.enabled = self.mode

    def __exit__(self, *exc_info: object) -> None:
        local.enabled = self.previous.pop()

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _Mode(mode):  # a fresh one per call: the decorated function may recurse or run in threads
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_Mode):
    """Do not record operations: for evaluation and for in-place parameter updates."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_Mode):
    """Record operations again inside a `no_grad` region."""

    def __init__(self) -> None:
        super().__init__(True)


class inference_mode(_Mode):
    """`no_grad` for pure inference (torch.inference_mode); `inference_mode(False)` records again.

    PyTorch additionally marks tensors made inside as inference tensors; here it is exactly
    `set_grad_enabled(not mode)` (docs/tensor.md lists the difference).
    """

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)


class set_grad_enabled(_Mode):
    """Turn recording on or off: at once when called, until the end of the block in `with`.

    `tg.set_grad_enabled(False)` on its own line switches recording off for this thread, as in
    PyTorch; `with tg.set_grad_enabled(False):` restores the previous mode when the block ends.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self.previous.append(local.enabled)  # takes effect now, not at __enter__
        local.enabled = self.mode

    def __enter__(self) -> None:
        if not self.previous:  # entered again after an earlier block restored the mode
            super().__enter__()

    def __call__(self, fn: F) -> F:
        if self.previous:  # used as a decorator: undo the switch __init__ made at decoration time
            local.enabled = self.previous.pop()
        return super().__call__(fn)
