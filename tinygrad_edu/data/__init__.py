"""tinygrad_edu.data: datasets, the DataLoader, the book's load_mnist, and IDX/download helpers.

Layer L6 (imports tensor and creation, never nn or optim). Public names, as in PyTorch:
`Dataset, TensorDataset, DataLoader` and the `datasets` namespace (MNIST, FashionMNIST,
EmbeddedFashionMNIST, spiral); the book's `load_mnist`; `read_idx`/`write_idx` for IDX files.
See docs/data.md.
"""
from . import datasets
from .dataloader import DataLoader
from .dataset import Dataset, TensorDataset
from .idx import read_idx, write_idx
from .mnist import load_mnist

__all__ = ["DataLoader", "Dataset", "TensorDataset", "datasets", "load_mnist", "read_idx", "write_idx"]
