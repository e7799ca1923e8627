"""Checks of a loaded optimizer state dict, entry by entry, before the optimizer changes anything.

Layer L6 (NumPy only). `Optimizer.load_state_dict` builds the new groups and state with these
helpers and assigns them only when every entry passed, so a bad checkpoint raises a ValueError
(or TypeError for a wrong type) naming the entry, such as `param_groups[0]['betas']` or
`state[2]['exp_avg']`, and leaves the optimizer as it was. Hyperparameters are checked against
the optimizer's defaults (same kind of value: number, bool, string, tuple of the same length),
numbers must be finite and non-negative, betas lie in [0, 1); each parameter's state must hold
exactly the keys its update rule keeps (`Optimizer._state_spec`), arrays shaped as the parameter,
and step counts non-negative whole numbers. See docs/nn_and_optim.md.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

COUNT, ARRAY, OPTIONAL_ARRAY = "count", "array", "optional array"  # kinds of per-parameter state entries


def _is_real(value: Any) -> bool:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def _number(value: Any, where: str) -> float | int:
    """A finite, non-negative real number as a Python number."""
    if not _is_real(value):
        raise TypeError(f"loaded {where} must be a number, got {type(value).__name__} {str(value)[:40]}")
    number: float | int = np.asarray(value).item()  # a real number, checked above
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"loaded {where} must be a finite number >= 0, got {number}")
    return number


def hyperparameter(name: str, value: Any, default: Any, where: str, choices: tuple[str, ...] | None) -> Any:
    """`value` checked against the kind of the optimizer's default, as a plain Python value."""
    where = f"{where}[{name!r}]"
    if isinstance(default, bool):
        if not isinstance(value, bool | np.bool_) and not (isinstance(value, np.ndarray) and value.dtype == bool
                                                           and value.ndim == 0):
            raise TypeError(f"loaded {where} must be True or False, got {type(value).__name__} {str(value)[:40]}")
        return bool(value)
    if isinstance(default, str):
        value = value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
        if not isinstance(value, str) or (choices is not None and value not in choices):
            raise ValueError(f"loaded {where} must be one of {choices}, got {str(value)[:40]!r}")
        return str(value)
    if isinstance(default, tuple):
        items = list(value) if isinstance(value, list | tuple | np.ndarray) and np.ndim(value) == 1 else None
        if items is None or len(items) != len(default):
            raise ValueError(f"loaded {where} must be a sequence of {len(default)} numbers, got {str(value)[:60]}")
        numbers = tuple(_number(item, f"{where}[{i}]") for i, item in enumerate(items))
        if name == "betas" and not all(beta < 1 for beta in numbers):
            raise ValueError(f"loaded {where} must lie in [0, 1), got {numbers}")
        return numbers
    if default is None or isinstance(default, int | float):
        return None if default is None and value is None else _number(value, where)
    return value


def group_indices(saved: Any, number: int, expected: int) -> list[int]:
    """The parameter indices of a saved group, checked: a list of distinct ints, as many as the group has."""
    where = f"param_groups[{number}]"
    if not isinstance(saved, Mapping):
        raise TypeError(f"loaded {where} must be a dict, got {type(saved).__name__}")
    if "params" not in saved:
        raise ValueError(f"loaded {where} has no 'params' entry (keys: {sorted(map(str, saved))})")
    indices = saved["params"]
    if not isinstance(indices, list | tuple | np.ndarray) or np.ndim(indices) != 1:
        raise TypeError(f"loaded {where}['params'] must be a list of parameter indices, got {str(indices)[:60]}")
    indices = list(indices)
    if not all(isinstance(i, int | np.integer) and not isinstance(i, bool) and i >= 0 for i in indices):
        raise TypeError(f"loaded {where}['params'] must hold non-negative int indices, got {str(indices)[:60]}")
    if len(indices) != expected:
        raise ValueError(f"loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                         f"group: {where} has {len(indices)} parameters saved, {expected} in the optimizer")
    return [int(i) for i in indices]


def parameter_state(saved: Any, spec: dict[str, str] | None, shape: tuple[int, ...], dtype: np.dtype,
                    where: str) -> dict[str, Any]:
    """One parameter's saved state as fresh values: counts as ints, arrays copied in the parameter's dtype."""
    if not isinstance(saved, Mapping):
        raise TypeError(f"loaded {where} must be a dict, got {type(saved).__name__}")
    if spec is not None:
        missing = sorted(k for k, kind in spec.items() if kind != OPTIONAL_ARRAY and k not in saved)
        unexpected = sorted(str(k) for k in saved if k not in spec)
        if missing or unexpected:
            raise ValueError(f"loaded {where} must hold exactly {sorted(spec)}; missing {missing}, "
                             f"unexpected {unexpected}")
    state: dict[str, Any] = {}
    for key, value in saved.items():
        kind = spec.get(key) if spec is not None else (COUNT if key == "step" else None)
        entry = f"{where}[{key!r}]"
        if kind == COUNT:
            count = _number(value, entry)
            if count != int(count):
                raise ValueError(f"loaded {entry} must be a whole number of steps, got {count}")
            state[key] = int(count)
        elif kind == OPTIONAL_ARRAY and value is None or kind is None and (value is None or
                                                                         isinstance(value, bool | int | float)):
            state[key] = value
        else:
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"loaded {entry} must be a numeric array, got dtype {array.dtype}")
            if array.shape != shape:
                raise ValueError(f"loaded {entry} has shape {array.shape}, but the parameter has shape {shape}")
            state[key] = np.array(array, dtype=dtype)  # a copy, cast like torch casts floating state
    return state
