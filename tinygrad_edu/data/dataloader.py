"""DataLoader: iterate over a dataset in (optionally shuffled) mini-batches of Tensors.

Layer L6. Each epoch (each `iter(loader)`) orders the indices, either 0..N-1 or a permutation
drawn from `tinygrad_edu.random.generator()` (so `manual_seed` makes it reproducible) or, when
`seed` is given, from the loader's own generator (reproducible on its own, and each epoch still
gets a fresh permutation). Every sample is visited exactly once per epoch, unlike the book's
`np.random.choice` sampling with replacement. A batch comes from one `dataset.__getitems__(indices)`
call when the dataset has it, else from per-sample `__getitem__` calls stacked with NumPy.
See docs/data.md.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import random
from .._dtypes import to_array
from ..autograd.function import TensorBase
from ..creation import from_numpy
from ..tensor import Tensor


def _stack_field(values: list[Any]) -> Tensor:
    """One field of a batch: arrays/Tensors are stacked as they are, Python numbers by tensor rules."""
    if all(isinstance(v, TensorBase | np.ndarray | np.generic) for v in values):
        return from_numpy(np.stack([v.data if isinstance(v, TensorBase) else np.asarray(v) for v in values]))
    return from_numpy(to_array(values))


def collate(samples: list[Any]) -> Any:
    """Stack a list of samples into a batch: tuples field by field, dicts key by key."""
    first = samples[0]
    if isinstance(first, tuple | list):
        if any(len(sample) != len(first) for sample in samples):
            raise ValueError(f"samples of one batch have different lengths: {sorted({len(s) for s in samples})}")
        return tuple(_stack_field([sample[i] for sample in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stack_field([sample[key] for sample in samples]) for key in first}
    return _stack_field(samples)


def _as_batch(batch: Any) -> Any:
    """What __getitems__ returned, with arrays turned into Tensors (copied: they may be views)."""
    if isinstance(batch, tuple | list):
        return tuple(b if isinstance(b, TensorBase) else Tensor(b) for b in batch)
    if isinstance(batch, dict):
        return {key: b if isinstance(b, TensorBase) else Tensor(b) for key, b in batch.items()}
    return batch if isinstance(batch, TensorBase) else Tensor(batch)


class DataLoader:
    """Mini-batches of a dataset as tuples of Tensors (PyTorch's DataLoader, single process).

    Args:
        dataset: anything with `__len__` and `__getitem__` (and optionally `__getitems__`).
        batch_size: samples per batch; the last batch is smaller unless `drop_last`.
        shuffle: a new random order every epoch.
        drop_last: drop the last batch when it has fewer than `batch_size` samples.
        seed: give the loader its own generator instead of the library's (manual_seed) one.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader needs a dataset with __len__ and __getitem__, got {type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, bool | np.bool_):
                raise TypeError(f"{name} must be True or False, got {flag!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
            raise ValueError(f"seed must be None or a non-negative integer, got {seed!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(int(seed))

    def __len__(self) -> int:
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def _order(self) -> np.ndarray:
        size = len(self.dataset)
        if not self.shuffle:
            return np.arange(size)
        rng = self._generator if self._generator is not None else random.generator()
        return rng.permutation(size)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        batched = hasattr(self.dataset, "__getitems__")
        for batch in range(len(self)):
            indices = order[batch * self.batch_size:(batch + 1) * self.batch_size]
            if batched:
                yield _as_batch(self.dataset.__getitems__(indices))
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})")
