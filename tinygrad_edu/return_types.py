"""Named tuples for ops that return values and indices (torch.return_types).

Layer L0 (stdlib only). `t.max(dim)` returns `return_types.max(values, indices)`: unpack it
(`values, indices = t.max(1)`) or read the fields (`t.max(1).values`), as in PyTorch.
"""
from __future__ import annotations

from collections import namedtuple

max = namedtuple("max", ["values", "indices"])
max.__doc__ = "What Tensor.max(dim) returns: the largest values along dim and where they are."
min = namedtuple("min", ["values", "indices"])
min.__doc__ = "What Tensor.min(dim) returns: the smallest values along dim and where they are."
sort = namedtuple("sort", ["values", "indices"])
sort.__doc__ = "What Tensor.sort(dim) returns: the sorted values and the position each came from."
topk = namedtuple("topk", ["values", "indices"])
topk.__doc__ = "What Tensor.topk(k, dim) returns: the k largest (or smallest) values and their positions."

__all__ = ["max", "min", "sort", "topk"]
