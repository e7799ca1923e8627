"""Datasets: indexable collections of samples, the input a DataLoader batches.

Layer L6 (imports tensor/creation). `Dataset` is the base class to subclass: define `__len__` and
`__getitem__(i)` returning one sample (a tuple of arrays, Tensors or numbers). A dataset may also
define `__getitems__(indices)` returning a whole batch at once, already stacked, as a tuple of
Tensors; DataLoader then makes one call per batch instead of one per sample (unlike PyTorch,
where `__getitems__` returns a list of samples that still goes through collation).
`TensorDataset` wraps arrays that share their first dimension and batches them with one NumPy
fancy-index per array. See docs/data.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._dtypes import to_array
from ..autograd.function import TensorBase
from ..creation import from_numpy
from ..tensor import Tensor


class Dataset:
    """Base class of map-style datasets: subclasses define `__len__` and `__getitem__(index)`.

    Optionally `__getitems__(indices)` returning a tuple of batched Tensors (see the module docs).
    """


def as_index_array(indices: Sequence[int] | np.ndarray, length: int) -> np.ndarray:
    """Indices as an intp array, negative ones wrapped; IndexError naming the first bad one."""
    index = np.asarray(indices)
    if index.dtype.kind not in "iu":
        raise IndexError(f"dataset indices must be integers, got dtype {index.dtype}")
    index = index.astype(np.intp, copy=False).reshape(-1)
    bad = (index < -length) | (index >= length)
    if bad.any():
        raise IndexError(f"index {int(index[bad][0])} is out of range for a dataset of {length} samples")
    return np.where(index < 0, index + length, index)


class TensorDataset(Dataset):
    """Samples are slices along the first dimension of each given array or Tensor.

    `TensorDataset(x, t)[i]` is `(x[i], t[i])` as Tensors; `__getitems__(indices)` returns
    `(x[indices], t[indices])` with one fancy-index per array.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one array or tensor")
        arrays = [t.data if isinstance(t, TensorBase) else to_array(t, copy=False) for t in tensors]
        for position, array in enumerate(arrays):
            if array.ndim == 0:
                raise ValueError(f"TensorDataset: argument {position} is 0-d; every argument needs a first dimension")
        lengths = [array.shape[0] for array in arrays]
        if len(set(lengths)) != 1:
            shapes = ", ".join(str(array.shape) for array in arrays)
            raise ValueError(f"TensorDataset: all arguments need the same first dimension, got shapes {shapes}")
        self.tensors = tuple(from_numpy(array) for array in arrays)
        self._arrays = arrays

    def __len__(self) -> int:
        return self._arrays[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        position = int(as_index_array([index], len(self))[0])
        return tuple(Tensor(array[position]) for array in self._arrays)

    def __getitems__(self, indices: Sequence[int] | np.ndarray) -> tuple[Tensor, ...]:
        index = as_index_array(indices, len(self))
        return tuple(from_numpy(array[index]) for array in self._arrays)  # fancy-indexing copies

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self._arrays)
        return f"TensorDataset({len(self)} samples; shapes {shapes})"
