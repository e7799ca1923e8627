"""Optimizer: the base every update rule shares (parameter groups, per-parameter state, state_dict).

Layer L6: imports tensor and _grad_mode only, never nn, so any iterable of Tensors can be
optimized. The layout follows torch.optim.Optimizer: `param_groups` is a list of dicts (the
tensors under "params", the hyperparameters beside them, missing ones filled from `defaults`),
`state` maps each parameter object to its own dict, and `state_dict()` refers to parameters by
their position across all groups. `step()` lives here, once: it runs the closure, walks the
groups and their parameters, skips those without a gradient, and hands each remaining one to the
subclass's `_update(group, param, grad, state, work)`, which is only the update rule. A rule
updates `param` and its state arrays in place with NumPy ufuncs (`out=`) and never writes into
`grad`, which may be a view shared with another tensor. Because every rule is elementwise,
step() first hands a group's small parameters to _flat.py, which runs the rule once on all of
them concatenated (PyTorch's multi-tensor "foreach" idea); the named steps the rules share
(EMA of g^2, lr * g / (sqrt(h) + eps)) are in _steps.py. See docs/nn_and_optim.md and
docs/performance.md.
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .._grad_mode import enable_grad
from .._tensor import Tensor
from . import validation
from ._flat import FlatGroup, flat_candidates

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class: holds `param_groups`, `state` and `defaults`, and runs `step()`.

    A subclass passes its hyperparameters to `__init__` as `defaults` and defines
    `_update(group, param, grad, state, work)`: one parameter's update, given its group's dict,
    the parameter's and gradient's arrays, its state dict (empty on its first step; left out of
    `self.state` if the rule stores nothing) and a scratch array shaped like the parameter.

    Args:
        params: an iterable of Tensors, or of dicts each with a "params" entry and any
            hyperparameters that should differ from `defaults` for that group.
        defaults: hyperparameters used by every group that does not set its own.
    """

    # Hyperparameters PyTorch's counterpart does not have (so its state dicts lack them): a loaded
    # group without one keeps this optimizer's value, the way torch fills keys it added later.
    extra_hyperparameters: tuple[str, ...] = ()
    hyperparameter_choices: dict[str, tuple[str, ...]] = {}  # allowed values of string hyperparameters

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got a single Tensor of shape {params.shape}; wrap it in a list")
        if isinstance(params, dict):
            raise TypeError("params should be an iterable of Tensors or a list of param-group dicts, got one dict; "
                            "wrap it in a list: [{'params': ..., 'lr': ...}]")
        if isinstance(params, set | frozenset):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets changes between runs; use a list instead")
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._scratch_buffers: dict[np.dtype, np.ndarray] = {}
        self._scratch_views: dict[tuple[np.dtype, tuple[int, ...]], np.ndarray] = {}
        self._flat_groups: dict[int, tuple[dict[str, Any], dict[np.dtype, FlatGroup]]] = {}
        self._grad_zeros: dict[Tensor, np.ndarray] = {}
        groups: list[Any] = list(params)  # Tensors or group dicts until wrapped below; add_param_group checks
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines + [")"])

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group of parameters with its own hyperparameters (e.g. a smaller lr for a layer)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"a param group needs a 'params' entry, got keys {sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets changes between runs; use a list instead")
        else:
            params = list(params)
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {index} of the group "
                                f"is a {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {index} of the group, shape "
                                 f"{param.shape}, made by {param.grad_fn!r}); optimize the leaf it came from")
            if not np.issubdtype(param.dtype, np.floating):
                raise TypeError(f"optimizer can only optimize floating-point tensors, parameter {index} of the "
                                f"group has dtype {param.dtype}")
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future this "
                          "will be an error", UserWarning, stacklevel=2)
        group = {key: value for key, value in param_group.items() if key != "params"}
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for existing in self.param_groups for p in existing["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set `.grad` to None (default) or to zeros.

        Neither allocates an array after the first call: the zeros are an array the optimizer
        owns per parameter and refills in place. An array the optimizer did not hand out (one the
        user assigned, possibly shared with another tensor) is never written to.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                zeros = self._grad_zeros.get(p)
                if zeros is None or zeros.shape != p.data.shape or zeros.dtype != p.data.dtype:
                    zeros = self._grad_zeros[p] = np.zeros_like(p.data)
                else:
                    zeros.fill(0)
                if p.grad.data is not zeros or p.grad.grad_fn is not None:
                    p.grad = Tensor._from_op(zeros, None)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter whose `.grad` is not None, once; return the closure's loss.

        `closure`, if given, recomputes the loss and calls backward; it runs first, with grad
        mode on. Without one, step returns None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        states, update, scratch = self.state, self._update, self._scratch
        for group in self.param_groups:
            updated = self._step_flat(group)
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue  # no gradient: no update and no state, as PyTorch
                p._version_counter[0] += 1  # an in-place change: graphs that saved p now refuse backward
                if id(p) in updated:
                    continue  # updated with the group's other small parameters
                param = p.data
                if grad.shape != param.shape:  # a rule would broadcast it silently
                    raise RuntimeError(f"{type(self).__name__}.step: a parameter of shape {param.shape} has a "
                                       f".grad of shape {grad.shape}; they must match")
                state = states.get(p, {})
                update(group, param, grad.data, state, scratch(param))
                if state:  # a rule that keeps nothing (SGD without momentum) leaves no entry
                    states[p] = state
        return loss

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                work: np.ndarray) -> None:
        """One parameter's update rule, in place; each subclass defines its own (see the class docstring)."""
        raise TypeError(f"{type(self).__name__} must define _update(group, param, grad, state, work) "
                        "or override step()")  # abstract

    def _step_flat(self, group: dict[str, Any]) -> set[int]:
        """Update the group's small parameters a dtype at a time (see _flat.py); return their ids."""
        saved_group, plans = self._flat_groups.get(id(group), (None, {}))
        if saved_group is not group:  # a new group, or groups replaced by load_state_dict
            live = {id(g) for g in self.param_groups}
            self._flat_groups = {key: value for key, value in self._flat_groups.items() if key in live}
            plans = {}
            self._flat_groups[id(group)] = (group, plans)
        updated: set[int] = set()
        for dtype, params in flat_candidates(group["params"]).items():
            plan = plans.get(dtype)
            if plan is None or not plan.matches(params, self.state):
                param_states = [self.state.get(p) or {} for p in params]
                if not FlatGroup.can_merge(params, param_states):
                    plans.pop(dtype, None)
                    continue  # e.g. parameters at different step counts: one by one
                plan = plans[dtype] = FlatGroup(params, param_states)
            plan.step(self._update, group, self.state)
            updated |= plan.ids
        return updated

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        """A work array shaped like `like`, carved out of one reused buffer per dtype.

        Update rules write their intermediate terms here (ufunc `out=`), so a step allocates
        nothing per parameter; the contents are garbage between calls. The view for each shape
        is kept, so a parameter's work array costs one dict lookup, not a slice and a reshape.
        """
        key = (like.dtype, like.shape)
        view = self._scratch_views.get(key)
        if view is None:
            buffer = self._scratch_buffers.get(like.dtype)
            if buffer is None or buffer.size < like.size:
                buffer = np.empty(like.size, dtype=like.dtype)
                self._scratch_buffers[like.dtype] = buffer
                self._scratch_views.clear()  # let the smaller buffer go
            view = self._scratch_views[key] = buffer[:like.size].reshape(like.shape)
        return view

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: {"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}.

        Parameters are numbered in order across groups; arrays in the state are copies.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            indices = []
            for p in group["params"]:
                indices.append(index_of.setdefault(id(p), len(index_of)))
            saved = {key: value for key, value in group.items() if key != "params"}
            saved["params"] = indices
            groups.append(saved)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if self.state.get(p):
                    state[index_of[id(p)]] = {key: value.copy() if isinstance(value, np.ndarray) else value
                                              for key, value in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state saved by `state_dict()`; on any error nothing changes.

        Every entry is checked first (validation.py): group sizes and indices, hyperparameter
        types and ranges against `defaults`, the state keys the update rule keeps, array shapes
        and step counts. Errors name the entry, e.g. `state[0]['exp_avg']`.
        """
        if not isinstance(state_dict, Mapping) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("an optimizer state dict needs the keys 'state' and 'param_groups'")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, list | tuple) or not isinstance(saved_state, Mapping):
            raise TypeError("an optimizer state dict holds a list 'param_groups' and a dict 'state', got "
                            f"{type(saved_groups).__name__} and {type(saved_state).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(self.param_groups)})")
        params_by_index: dict[int, tuple[Tensor, dict[str, Any]]] = {}
        new_groups = []
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            indices = validation.group_indices(saved, number, len(group["params"]))
            missing = sorted(set(self.defaults) - set(saved) - set(self.extra_hyperparameters))
            if missing:
                raise ValueError(f"loaded parameter group {number} lacks the hyperparameters {missing} of "
                                 f"{type(self).__name__}; was it saved by a different optimizer?")
            new_group = {key: group[key] for key in self.extra_hyperparameters if key not in saved}
            new_group.update((key, self._loaded_hyperparameter(key, value, number)) for key, value in saved.items()
                             if key != "params")
            new_group["params"] = group["params"]
            for index, p in zip(indices, group["params"]):
                if index in params_by_index:
                    raise ValueError(f"loaded param_groups list parameter index {index} more than once")
                params_by_index[index] = (p, new_group)
            new_groups.append(new_group)
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, saved in saved_state.items():
            position = key if isinstance(key, int) and not isinstance(key, bool) else None
            if isinstance(key, str) and key.isdigit():
                position = int(key)  # a checkpoint format with string keys
            if position is None or position not in params_by_index:
                raise ValueError(f"loaded state refers to parameter {key!r}, but the groups only hold indices "
                                 f"{sorted(params_by_index)}")
            p, group = params_by_index[position]
            new_state[p] = validation.parameter_state(saved, self._state_spec(group), p.shape, p.dtype,
                                                      f"state[{position}]")
        self.param_groups = new_groups
        self.state = new_state

    def _loaded_hyperparameter(self, key: str, value: Any, number: int) -> Any:
        """A saved group's entry, checked like its default; entries the optimizer does not know pass as they are
        (a scheduler's `initial_lr` is checked as a learning rate)."""
        if key not in self.defaults and key != "initial_lr":
            return value
        return validation.hyperparameter(key, value, self.defaults.get(key, 0.0), f"param_groups[{number}]",
                                         self.hyperparameter_choices.get(key))

    def _state_spec(self, group: dict[str, Any]) -> dict[str, str] | None:
        """The state entries `_update` keeps per parameter for `group` (name -> validation kind), or None
        when unknown (then only array shapes and step counts are checked on load)."""
        return None


def regularized_gradient(grad: np.ndarray, param: np.ndarray, weight_decay: float, maximize: bool) -> np.ndarray:
    """The gradient the rule follows: -grad when maximizing, plus weight_decay * param (L2).

    Returns `grad` itself when there is nothing to add, otherwise a new array: the parameter's
    `.grad` array is never written to.
    """
    if weight_decay:
        direction = np.multiply(param, weight_decay)
        if maximize:
            direction -= grad
        else:
            direction += grad
        return direction
    return np.negative(grad) if maximize else grad
