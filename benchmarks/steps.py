"""The one training step every framework's workload runs: zero_grad, forward, cross-entropy, backward, step.

tinygrad_edu and PyTorch share these names, so one function serves both (workloads.py, convnet.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

Step = Callable[[object, object], float]


def training_step(model: Any, optimizer: Any, cross_entropy: Callable[[Any, Any], Any]) -> Step:
    """`step(x, t) -> loss` for a model and optimizer of either framework."""

    def step(x: Any, t: Any) -> float:
        optimizer.zero_grad()
        loss = cross_entropy(model(x), t)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step
