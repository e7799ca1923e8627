"""tinygrad_edu.data: datasets, the DataLoader, the book's load_mnist, and IDX/download helpers.

Layer L6 (imports tensor and creation, never nn or optim). Public names, as in PyTorch:
`Dataset, TensorDataset, Subset, ConcatDataset, random_split, DataLoader, default_collate` (also
importable as `tinygrad_edu.utils.data`, PyTorch's path) and the `datasets` namespace (MNIST, FashionMNIST,
EmbeddedFashionMNIST, spiral); the book's `load_mnist`; `read_idx`/`write_idx` for IDX files.
See docs/data.md.
"""
from . import datasets
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .idx import read_idx, write_idx
from .mnist import DatasetFallbackWarning, load_mnist

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "DatasetFallbackWarning", "Subset", "TensorDataset",
           "default_collate", "random_split", "datasets", "load_mnist", "read_idx", "write_idx"]
