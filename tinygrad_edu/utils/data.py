"""`from tinygrad_edu.utils.data import DataLoader, TensorDataset`: PyTorch's import path.

Layer L6, re-exports only: everything lives in `tinygrad_edu.data` (docs/data.md), so this path
and that one give the very same objects.
"""
from ..data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, default_collate,
                    random_split)

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
