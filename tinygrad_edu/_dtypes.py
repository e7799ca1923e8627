"""Which NumPy dtype a new tensor gets: PyTorch's rules on top of NumPy.

Layer L0 (NumPy only). Python floats and lists of them become the default float dtype
(float32 unless `set_default_dtype` says otherwise), Python ints become int64, bools bool;
NumPy arrays and NumPy scalars keep their own dtype. See docs/tensor.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_default_float = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype that Python floats become (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Choose the dtype Python floats become: float16, float32 or float64."""
    global _default_float
    chosen = np.dtype(dtype)
    if chosen not in _FLOAT_DTYPES:
        raise TypeError(f"set_default_dtype only accepts float16, float32 or float64, got {chosen}")
    _default_float = chosen


def is_floating(dtype: np.dtype) -> bool:
    """True for the float dtypes that may carry gradients."""
    return dtype.kind == "f"


def to_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """Convert user data to an ndarray with PyTorch's dtype rules (copies unless told not to)."""
    if isinstance(data, np.ndarray | np.generic):
        if dtype is None:
            return np.array(data, copy=copy) if copy else np.asarray(data)
        return np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
    array = np.array(data)
    if array.dtype == object:
        raise TypeError(f"cannot build a tensor from {type(data).__name__}: got ragged or non-numeric data")
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype.kind == "f":
        return array.astype(_default_float, copy=False)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    return array
