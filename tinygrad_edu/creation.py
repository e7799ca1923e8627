"""Factories: tensor, zeros, ones, full, *_like, arange, eye, rand, randn, randint, from_numpy.

Layer L3 (beside tensor.py). Shapes are given as varargs or one tuple, as in PyTorch. Float
factories use the default dtype; every random draw comes from `random.generator()`, so
`manual_seed` makes them reproducible.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._dtypes import get_default_dtype, is_floating, to_array
from .random import generator
from .tensor import Tensor, _shape_arg


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """A new tensor holding a copy of `data` (torch.tensor)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy, keeps its dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
    return Tensor._from_op(array, None)


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    if requires_grad and not is_floating(array.dtype):
        raise TypeError(f"only floating-point tensors can require grad, got dtype {array.dtype}")
    out = Tensor._from_op(array, None)
    out.requires_grad = requires_grad
    return out


def _float_dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_shape_arg(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_shape_arg(size), dtype=_float_dtype(dtype)), requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value` (its dtype inferred like torch.full)."""
    if dtype is None:
        dtype = to_array(fill_value).dtype
    return _make(np.full(_shape_arg((size,)), fill_value, dtype=dtype), requires_grad)


def zeros_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(other.shape, dtype=other.dtype if dtype is None else dtype), requires_grad)


def ones_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(other.shape, dtype=other.dtype if dtype is None else dtype), requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive); integers unless a float is given."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, int | np.integer) for v in (start, end, step)) else get_default_dtype()
    return _make(np.arange(start, end, step, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    dtype = _float_dtype(dtype)
    return _make(generator().random(_shape_arg(size)).astype(dtype, copy=False), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    dtype = _float_dtype(dtype)
    return _make(generator().standard_normal(_shape_arg(size)).astype(dtype, copy=False), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = np.int64) -> Tensor:
    """Integers from low (inclusive) to high (exclusive)."""
    if high is None:
        low, high = 0, low
    return _make(generator().integers(low, high, size=_shape_arg((size,))).astype(dtype), False)
