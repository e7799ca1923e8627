"""Grad mode: whether new operations are recorded into the autograd graph.

Layer L0 (stdlib only). `Function.apply` reads `_grad_mode.enabled` on every op, so the flag
is a plain module global: one attribute load on the hot path. `no_grad`, `enable_grad` and
`set_grad_enabled` switch it as context managers or decorators, like their PyTorch namesakes.
See docs/architecture.md.
"""
from __future__ import annotations

import functools
from typing import Any, TypeVar
from collections.abc import Callable

enabled = True

F = TypeVar("F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return enabled


class set_grad_enabled:
    """Turn recording on or off inside a `with` block (or for a whole decorated function)."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.previous: list[bool] = []  # a stack, so one instance may be entered re-entrantly

    def __enter__(self) -> None:
        global enabled
        self.previous.append(enabled)
        enabled = self.mode

    def __exit__(self, *exc_info: object) -> None:
        global enabled
        enabled = self.previous.pop()

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(set_grad_enabled):
    """Do not record operations: for evaluation and for in-place parameter updates."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record operations again inside a `no_grad` region."""

    def __init__(self) -> None:
        super().__init__(True)
