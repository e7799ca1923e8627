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
from ..random import Generator, rng_of
from .collate import default_collate
from .._tensor import Tensor


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
        return len(self._arrays[0])

    def __getitem__(self, index: int | slice | Sequence[int]) -> tuple[Tensor, ...]:
        """`(x[index], t[index], ...)`: one sample for an int, a batch for a slice or a list of indices."""
        if isinstance(index, slice):
            return tuple(Tensor(array[index]) for array in self._arrays)
        if isinstance(index, int | np.integer):
            position = int(as_index_array([index], len(self))[0])
            return tuple(Tensor(array[position]) for array in self._arrays)
        return self.__getitems__(_array_of_indices(index))

    def __getitems__(self, indices: Sequence[int] | np.ndarray) -> tuple[Tensor, ...]:
        index = as_index_array(indices, len(self))
        return tuple(from_numpy(array[index]) for array in self._arrays)  # fancy-indexing copies

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self._arrays)
        return f"TensorDataset({len(self)} samples; shapes {shapes})"


def _array_of_indices(indices: Any) -> np.ndarray:
    return np.asarray(indices.data if isinstance(indices, TensorBase) else indices)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order (what random_split returns)."""

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = as_index_array(_array_of_indices(indices), len(dataset))

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: Sequence[int] | np.ndarray) -> Any:
        chosen = self.indices[as_index_array(indices, len(self))]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(chosen)
        return default_collate([self.dataset[int(i)] for i in chosen])


class ConcatDataset(Dataset):
    """Several datasets one after the other: sample i of the first, then of the second, ..."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes: list[int] = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        position = int(as_index_array([index], len(self))[0])
        which = int(np.searchsorted(self.cumulative_sizes, position, side="right"))
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][position - start]


def random_split(dataset: Any, lengths: Sequence[int | float], generator: Generator | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random Subsets of the given lengths (or fractions summing to 1).

    Fractions are floored and the leftover samples handed out one each from the first subset on,
    as in PyTorch; the permutation comes from `generator` (or the library's, see manual_seed).
    """
    total = len(dataset)
    sizes = [int(n) for n in lengths]
    if all(0 <= n <= 1 for n in lengths) and abs(sum(lengths) - 1) < 1e-9 and sum(sizes) != total:
        sizes = [int(np.floor(total * fraction)) for fraction in lengths]
        for i in range(total - sum(sizes)):
            sizes[i % len(sizes)] += 1
    if any(n < 0 for n in sizes) or sum(sizes) != total:
        raise ValueError(f"random_split: sum of input lengths {list(lengths)} does not equal the length of the "
                         f"input dataset ({total})")
    order = rng_of(generator).permutation(total)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]
