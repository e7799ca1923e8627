"""Factories: tensor, as_tensor, zeros, ones, full, empty, arange, linspace, logspace, eye, rand, randn, randint,
their *_like forms, and from_numpy.

Layer L3 (beside _tensor.py). PyTorch's signatures: sizes as varargs or one tuple (`zeros(2, 3)`,
`zeros((2, 3))`, `zeros(())` for a 0-d tensor), and the keywords `dtype=`, `device=` (only "cpu"
exists) and `requires_grad=`. Float factories use the default dtype; every random draw comes from
`random.generator()` (or the `generator=` given), so `manual_seed` makes them reproducible.
`empty` returns zeros: NumPy could hand back leftover memory, and results should never depend on
it. See docs/tensor.md and docs/pytorch.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._dtypes import get_default_dtype, is_floating, to_array
from .device import check_device
from .random import Generator, rng_of
from ._tensor import Tensor, _dtype_arg, _new_leaf, _shape_arg


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           name: str | None = None) -> Tensor:
    """A new tensor holding a copy of `data` (torch.tensor)."""
    check_device(device)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """`data` as a tensor without copying when it already is one (or a NumPy array) of that dtype."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return from_numpy(data)
    return Tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy, keeps its dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
    return Tensor._from_op(array, None)


def _float_dtype(dtype: Any, what: str) -> np.dtype:
    return get_default_dtype() if dtype is None else _dtype_arg(dtype, what)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (the default float dtype unless `dtype` is given)."""
    return _new_leaf(np.zeros(_shape_arg(size), dtype=_float_dtype(dtype, "zeros")), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (the default float dtype unless `dtype` is given)."""
    return _new_leaf(np.ones(_shape_arg(size), dtype=_float_dtype(dtype, "ones")), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor to be overwritten; here it holds zeros, so no result depends on leftover memory."""
    return _new_leaf(np.zeros(_shape_arg(size), dtype=_float_dtype(dtype, "empty")), requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value` (its dtype inferred like torch.full)."""
    dtype = to_array(fill_value).dtype if dtype is None else _dtype_arg(dtype, "full")
    return _new_leaf(np.full(_shape_arg((size,)), fill_value, dtype=dtype), requires_grad, device)


def _like_dtype(input: Tensor, dtype: Any, what: str) -> np.dtype:
    return input.dtype if dtype is None else _dtype_arg(dtype, what)


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of `input`."""
    return _new_leaf(np.zeros(input.shape, _like_dtype(input, dtype, "zeros_like")), requires_grad, device)


def ones_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of `input`."""
    return _new_leaf(np.ones(input.shape, _like_dtype(input, dtype, "ones_like")), requires_grad, device)


def empty_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """empty() with the shape (and, unless given, the dtype) of `input`: zeros here."""
    return _new_leaf(np.zeros(input.shape, _like_dtype(input, dtype, "empty_like")), requires_grad, device)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere, with the shape (and, unless given, the dtype) of `input`."""
    return _new_leaf(np.full(input.shape, fill_value, _like_dtype(input, dtype, "full_like")), requires_grad, device)


def _random_float_dtype(input: Tensor, dtype: Any, what: str) -> np.dtype:
    chosen = _like_dtype(input, dtype, what)
    if not is_floating(chosen):
        raise TypeError(f"{what}: random floats need a floating dtype, but input has dtype {chosen}; "
                        "pass dtype=tinygrad_edu.float")
    return chosen


def rand_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1) with the shape (and floating dtype) of `input`."""
    chosen = _random_float_dtype(input, dtype, "rand_like")
    return _new_leaf(rng_of(None).random(input.shape).astype(chosen, copy=False), requires_grad, device)


def randn_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with the shape (and floating dtype) of `input`."""
    chosen = _random_float_dtype(input, dtype, "randn_like")
    return _new_leaf(rng_of(None).standard_normal(input.shape).astype(chosen, copy=False), requires_grad, device)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """Integers from low (inclusive) to high (exclusive) with the shape (and dtype) of `input`;
    `randint_like(x, high)` starts at 0."""
    if high is None:
        low, high = 0, low
    values = rng_of(None).integers(low, high, size=input.shape)
    return _new_leaf(values.astype(_like_dtype(input, dtype, "randint_like")), requires_grad, device)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive); integers unless a float is given."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, int | np.integer) for v in (start, end, step)) else get_default_dtype()
    return _new_leaf(np.arange(start, end, step, dtype=_dtype_arg(dtype, "arange")), requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"linspace: number of steps must be a non-negative integer, got {steps!r}")
    dtype = _float_dtype(dtype, "linspace")
    # Computed in float64 and rounded once (PyTorch's kernel rounds per SIMD block: results agree to ~1 ulp).
    values = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _new_leaf(values.astype(dtype) if is_floating(dtype) else np.trunc(values).astype(dtype),
                     requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` values from base**start to base**end, evenly spaced in the exponent."""
    exponents = linspace(start, end, steps, dtype=np.float64)
    dtype = _float_dtype(dtype, "logspace")
    return _new_leaf(np.power(float(base), exponents.data).astype(dtype), requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An n x m identity matrix (square unless m is given)."""
    return _new_leaf(np.eye(n, m, dtype=_float_dtype(dtype, "eye")), requires_grad, device)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    dtype = _float_dtype(dtype, "rand")
    return _new_leaf(rng_of(generator).random(_shape_arg(size)).astype(dtype, copy=False), requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    dtype = _float_dtype(dtype, "randn")
    return _new_leaf(rng_of(generator).standard_normal(_shape_arg(size)).astype(dtype, copy=False), requires_grad,
                     device)


def randint(low: int, high: int | None = None, size: Any = (), generator: Generator | None = None,
            dtype: Any = np.int64, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers from low (inclusive) to high (exclusive); `randint(high, size)` starts at 0."""
    if high is None:
        low, high = 0, low
    elif isinstance(high, tuple | list):  # randint(high, size) as PyTorch also accepts it
        low, high, size = 0, low, high
    values = rng_of(generator).integers(low, high, size=_shape_arg((size,)))
    return _new_leaf(values.astype(_dtype_arg(dtype, "randint")), requires_grad, device)
