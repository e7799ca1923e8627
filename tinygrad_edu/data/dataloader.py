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

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import random
from ..autograd.function import TensorBase
from .._tensor import Tensor
from .collate import default_collate


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
        sampler: an iterable of indices giving the order instead (not together with shuffle).
        collate_fn: turns a list of samples into a batch (default: `default_collate`, or one
            `__getitems__` call when the dataset has it).
        drop_last: drop the last batch when it has fewer than `batch_size` samples.
        generator: a `tinygrad_edu.Generator` that draws the shuffle order.
        seed: give the loader its own generator instead of the library's (manual_seed) one.
        num_workers: accepted for PyTorch code; loading always runs in this process.
        pin_memory: accepted for PyTorch code; there is no device memory to pin.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, sampler: Any = None,
                 num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, generator: random.Generator | None = None,
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
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give either seed or generator, not both")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn must be callable, got {type(collate_fn).__name__}")
        random.rng_of(generator)  # a TypeError now rather than at the first epoch
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.num_workers = num_workers
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(int(seed))

    def _num_samples(self) -> int:
        return len(self.sampler) if self.sampler is not None else len(self.dataset)

    def __len__(self) -> int:
        full, rest = divmod(self._num_samples(), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter((int(i) for i in self.sampler), dtype=np.intp)
        size = len(self.dataset)
        if not self.shuffle:
            return np.arange(size)
        rng = self._generator if self._generator is not None else random.rng_of(self.generator)
        return rng.permutation(size)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        # The one-call batch path serves the default collation only: a collate_fn wants the samples.
        batched = hasattr(self.dataset, "__getitems__") and self.collate_fn is default_collate
        full, rest = divmod(len(order), self.batch_size)
        for batch in range(full if self.drop_last or rest == 0 else full + 1):
            indices = order[batch * self.batch_size:(batch + 1) * self.batch_size]
            if batched:
                yield _as_batch(self.dataset.__getitems__(indices))
            else:
                samples = [self.dataset[int(i)] for i in indices]
                # the default collation is told the dataset indices, so a shape error can name the samples
                yield default_collate(samples, indices) if self.collate_fn is default_collate \
                    else self.collate_fn(samples)

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})")
