"""Multi-tensor updates: many small parameters updated as one flat array (PyTorch's "foreach").

Layer L6, imports numpy only. An update rule is elementwise, so it can run once on the
concatenation of a group's parameters instead of once per parameter: a step of Adam is then
about fifteen NumPy calls for the whole model rather than a dozen per parameter, and on the book's
small nets those calls, not the arithmetic, are the cost. Optimizer.step hands a param group here;
`FlatGroup` holds, per dtype:

- the parameters' state (Adam's m and v, a momentum buffer...) in flat arrays; each parameter's
  `optimizer.state[p]` entries are views into them, so `state_dict()` and user code see ordinary
  per-parameter arrays;
- work buffers into which each step gathers the parameters and gradients (one `concatenate`
  each), and from which the updated values are copied back into each `p.data`.

A parameter's `.data` stays the user's own array: no view into an optimizer buffer is forced on
it, so references to `p.data` held elsewhere keep seeing the updates. Large parameters (more than
`FLAT_MAX_SIZE` elements) keep the per-parameter path, where the extra gather and copy-back would
cost more memory traffic than the saved calls. Anything a plan did not foresee (a replaced state
array, a loaded state dict, a changed shape, a parameter without a gradient, parameters at
different step counts) makes `matches` fail; the plan is then rebuilt from the current state, or,
when the state cannot be merged, the parameters take the per-parameter path. See
docs/performance.md.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .._tensor import Tensor

# Above this many elements a parameter's own ufunc calls (about 1 us each) cost less than the
# three extra passes of gathering it and its gradient and copying it back (see docs/performance.md).
FLAT_MAX_SIZE = 1 << 12

UpdateRule = Callable[[dict[str, Any], np.ndarray, np.ndarray, dict[str, Any], np.ndarray], None]


class FlatGroup:
    """Parameters of one dtype, their state held in flat arrays, updated by one call of the rule."""

    def __init__(self, params: list[Tensor], states: list[dict[str, Any]]) -> None:
        self.params = params
        self.ids = {id(p) for p in params}
        self.shapes = [p.data.shape for p in params]
        sizes = [p.data.size for p in params]
        self.bounds = list(zip(np.cumsum([0] + sizes[:-1]).tolist(), np.cumsum(sizes).tolist()))
        dtype = params[0].data.dtype
        total = sum(sizes)
        self.param_buffer = np.empty(total, dtype)
        self.grad_buffer = np.empty(total, dtype)
        self.work = np.empty(total, dtype)
        self.param_views = self._views(self.param_buffer)
        self.state: dict[str, Any] = {}
        self.state_views: dict[str, list[np.ndarray]] = {}
        self.states = states  # each parameter's own state dict, its arrays views into self.state
        for key, value in states[0].items():
            if isinstance(value, np.ndarray):
                flat = self.state[key] = np.empty(total, dtype)
                np.concatenate([state[key] for state in states], axis=None, out=flat)
                self._install_views(key, flat)
            else:
                self.state[key] = value

    @staticmethod
    def can_merge(params: list[Tensor], states: list[dict[str, Any]]) -> bool:
        """True for distinct parameters whose states have the same keys and scalars (e.g. step)."""
        if len({id(p) for p in params}) != len(params):
            return False  # a parameter listed twice is updated twice, one by one
        first = states[0]
        for p, state in zip(params, states):
            if state.keys() != first.keys():
                return False
            for key, value in state.items():
                if isinstance(value, np.ndarray):
                    if value.shape != p.data.shape:
                        return False
                elif value != first[key]:
                    return False
        return True

    def matches(self, params: list[Tensor], states: dict[Tensor, dict[str, Any]]) -> bool:
        """True while these are still the plan's parameters, shapes and state arrays."""
        if len(params) != len(self.params):
            return False
        keeps_state = bool(self.state)
        for p, mine, shape, state in zip(params, self.params, self.shapes, self.states):
            expected_state = state if keeps_state else None
            if p is not mine or p.data.shape != shape or (states.get(p) or None) is not expected_state:
                return False
        for key, value in self.state.items():
            if isinstance(value, np.ndarray):
                if any(state.get(key) is not view for state, view in zip(self.states, self.state_views[key])):
                    return False
            elif any(state.get(key) != value for state in self.states):
                return False
        return True

    def step(self, update: UpdateRule, group: dict[str, Any], states: dict[Tensor, dict[str, Any]]) -> None:
        """Gather parameters and gradients, run the rule once, copy the parameters back."""
        np.concatenate([p.data for p in self.params], axis=None, out=self.param_buffer)
        # Every parameter here has a .grad: flat_candidates admits no other.
        np.concatenate([p.grad.data for p in self.params], axis=None, out=self.grad_buffer)  # type: ignore[union-attr]
        update(group, self.param_buffer, self.grad_buffer, self.state, self.work)
        for p, updated in zip(self.params, self.param_views):
            np.copyto(p.data, updated)
        for key, value in self.state.items():
            if not isinstance(value, np.ndarray):
                for state in self.states:
                    state[key] = value  # e.g. the step count, the same for every parameter
            elif key not in self.state_views:  # made by the rule on its first step
                self._install_views(key, value)
        if self.state:  # a rule that keeps nothing (SGD without momentum) leaves no entry
            for p, state in zip(self.params, self.states):
                states[p] = state

    def _views(self, flat: np.ndarray) -> list[np.ndarray]:
        return [flat[start:stop].reshape(shape) for (start, stop), shape in zip(self.bounds, self.shapes)]

    def _install_views(self, key: str, flat: np.ndarray) -> None:
        views = self.state_views[key] = self._views(flat)
        for state, view in zip(self.states, views):
            state[key] = view


def flat_candidates(params: list[Tensor]) -> dict[np.dtype, list[Tensor]]:
    """A group's small parameters that have a gradient, by dtype; the rest go one by one."""
    by_dtype: dict[np.dtype, list[Tensor]] = {}
    for p in params:
        grad = p.grad
        if grad is not None and p.data.size <= FLAT_MAX_SIZE and grad.data.shape == p.data.shape:
            by_dtype.setdefault(p.data.dtype, []).append(p)
    return {dtype: members for dtype, members in by_dtype.items() if len(members) > 1}
