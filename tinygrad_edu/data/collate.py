"""default_collate: a list of samples stacked into one batch of Tensors, field by field.

Layer L6 (imports tensor/creation). DataLoader uses it for datasets without `__getitems__`
(and whenever no `collate_fn` is given); Subset uses it to batch a dataset that has no
`__getitems__` of its own. See docs/data.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._dtypes import to_array
from ..autograd.function import TensorBase
from ..creation import from_numpy
from .._tensor import Tensor


def _stack_field(values: list[Any], indices: list[int], field: str) -> Tensor:
    """One field of a batch: arrays/Tensors are stacked as they are, Python numbers by tensor rules."""
    arrays = [np.asarray(v.data if isinstance(v, TensorBase) else v) for v in values]
    first = arrays[0].shape
    for entry, array in enumerate(arrays):
        if array.shape != first:  # name the dataset's samples, not only NumPy's "all input arrays must..."
            raise ValueError(f"collate: stack expects each tensor to be equal size, but got {first} at entry 0 "
                             f"(sample {indices[0]}) and {array.shape} at entry {entry} (sample {indices[entry]})"
                             f"{field}; pad the samples in a collate_fn")
    if all(isinstance(v, TensorBase | np.ndarray | np.generic) for v in values):
        return from_numpy(np.stack(arrays))
    return from_numpy(to_array(values))


def default_collate(samples: list[Any], indices: Any = None) -> Any:
    """Stack a list of samples into a batch: tuples field by field, dicts key by key.

    `indices`, the samples' dataset indices (DataLoader passes them), only make a shape error name
    the samples; without them it names their positions in the batch.
    """
    indices = list(range(len(samples))) if indices is None else [int(i) for i in indices]
    first = samples[0]
    if isinstance(first, tuple | list):
        if any(len(sample) != len(first) for sample in samples):
            raise ValueError(f"samples of one batch have different lengths: {sorted({len(s) for s in samples})}")
        return tuple(_stack_field([sample[i] for sample in samples], indices, f" in field {i}")
                     for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stack_field([sample[key] for sample in samples], indices, f" in field {key!r}")
                for key in first}
    return _stack_field(samples, indices, "")
