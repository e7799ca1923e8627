"""MNIST and Fashion-MNIST: the datasets (PyTorch style) and `load_mnist` (the book's style).

Layer L6. `MNIST(root=None, train=True, download=False)` and `FashionMNIST(...)` find the IDX
files through sources.py (or download them), parse them with idx.py, and serve samples
`(image float32 (1, 28, 28) in [0, 1], label int64)`; `flatten=True` gives (784,) images.
`EmbeddedFashionMNIST` serves the subset shipped inside the package (embedded/).
`load_mnist(...)` returns `((x_train, t_train), (x_test, t_test))` NumPy arrays in the shape of the
book's `dataset/mnist.py`, from full MNIST, full Fashion-MNIST or the embedded subset.
Parsed files are cached per process (keyed by path, size and modification time). See docs/data.md.
"""
from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..creation import from_numpy
from .._tensor import Tensor
from . import embedded, sources
from .dataset import Dataset, as_index_array
from .idx import read_idx

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
DIGIT_CLASSES = tuple(str(digit) for digit in range(10))


class DatasetFallbackWarning(UserWarning):
    """load_mnist(dataset="auto") found no MNIST files and loaded Fashion-MNIST or the embedded subset."""


@functools.lru_cache(maxsize=8)
def _parse_cached(path: str, size: int, mtime_ns: int) -> np.ndarray:
    array = read_idx(path)
    array.flags.writeable = False  # shared between every dataset that loads this file
    return array


def read_split(images_path: Path, labels_path: Path, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Parse an images/labels IDX pair and check they describe the same 28x28 uint8 samples.

    Labels must lie in 0..num_classes-1; the first one outside is named with its index.
    """
    arrays = []
    for path in (images_path, labels_path):
        status = os.stat(path)
        arrays.append(_parse_cached(str(path), status.st_size, status.st_mtime_ns))
    images, labels = arrays
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: expected uint8 images of shape (N, 28, 28), "
                         f"got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise ValueError(f"{labels_path}: expected {images.shape[0]} uint8 labels to match {images_path.name}, "
                         f"got {labels.dtype} {labels.shape}")
    outside = np.flatnonzero(labels >= num_classes)
    if outside.size:
        index = int(outside[0])
        raise ValueError(f"{labels_path}: label {labels[index]} at index {index} is outside the {num_classes} "
                         f"classes 0..{num_classes - 1} ({outside.size} labels out of range)")
    return images, labels


class ImageClassificationDataset(Dataset):
    """28x28 grey images with integer labels; samples are (image, label) Tensors.

    Attributes: `data` (uint8, (N, 28, 28), read-only), `targets` (int64, (N,)), `classes`,
    `source` (a one-line description of where the data came from).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], source: str,
                 flatten: bool = False) -> None:
        self.data = images
        self.targets = labels.astype(np.int64)
        self.classes = list(classes)
        self.source = source
        self.flatten = bool(flatten)

    def __len__(self) -> int:
        return len(self.data)

    def _images(self, index: np.ndarray) -> np.ndarray:
        # converting per batch keeps memory at uint8 size (47 MB for 60k images, not 188 MB)
        images: np.ndarray = self.data[index].astype(np.float32) / np.float32(255)
        return images.reshape(len(index), -1) if self.flatten else images[:, None]

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        position = as_index_array([index], len(self))
        return Tensor(self._images(position)[0]), Tensor(self.targets[position][0])

    def __getitems__(self, indices: Any) -> tuple[Tensor, Tensor]:
        position = as_index_array(indices, len(self))
        return from_numpy(self._images(position)), from_numpy(self.targets[position])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} samples, from {self.source})"


class MNIST(ImageClassificationDataset):
    """The MNIST digits (60,000 train / 10,000 test), from IDX files found or downloaded.

    Files are looked for in `root` when given, else in $TINYGRAD_EDU_MNIST, $TINYGRAD_EDU_DATA/mnist
    and the cache directory; `download=True` fetches missing files (SHA-256 verified).
    """

    spec = sources.MNIST
    class_names = DIGIT_CLASSES

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True, download: bool = False, *,
                 flatten: bool = False) -> None:
        images, labels, source = load_split(self.spec, train, root, download)
        super().__init__(images, labels, self.class_names, source, flatten)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same format as MNIST, 10 clothing classes, MIT licence).

    Also found in /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist package).
    """

    spec = sources.FASHION_MNIST
    class_names = FASHION_CLASSES


class EmbeddedFashionMNIST(ImageClassificationDataset):
    """The class-balanced Fashion-MNIST subset shipped inside the package (no files, no network)."""

    def __init__(self, train: bool = True, *, flatten: bool = False) -> None:
        arrays = embedded.load()
        split = "train" if train else "test"
        super().__init__(arrays[f"{split}_images"], arrays[f"{split}_labels"], FASHION_CLASSES,
                         embedded.describe(split), flatten)


def load_split(spec: sources.DatasetSpec, train: bool, root: str | os.PathLike[str] | None,
               download: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """(images, labels, description) of one split, found on disk or downloaded."""
    found = sources.find_split(spec, train, root)
    if found is None and download:
        found = sources.download_split(spec, train, root)
    if found is None:
        raise FileNotFoundError(sources.missing_message(spec, train, root))
    images, labels = read_split(*found)
    split = "train" if train else "test"
    return images, labels, f"{spec.title} {split} ({images.shape[0]} images) from {found[0].parent}"


def _book_arrays(images: np.ndarray, labels: np.ndarray, normalize: bool, flatten: bool,
                 one_hot_label: bool) -> tuple[np.ndarray, np.ndarray]:
    x = images.astype(np.float32) / np.float32(255) if normalize else images.copy()
    x = x.reshape(len(x), 784) if flatten else x.reshape(len(x), 1, 28, 28)
    t = np.eye(10, dtype=np.float32)[labels] if one_hot_label else labels.astype(np.int64)
    return x, t


def load_mnist(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False, *,
               dataset: str = "auto", root: str | os.PathLike[str] | None = None, download: bool = False,
               return_source: bool = False) -> Any:
    """The book's `load_mnist`: ((x_train, t_train), (x_test, t_test)) as NumPy arrays.

    Args:
        normalize: float32 pixels in [0, 1] (else the uint8 values 0..255).
        flatten: images as (N, 784) rows (else (N, 1, 28, 28)).
        one_hot_label: labels as float32 (N, 10) one-hot rows (else int64 class indices; the book
            uses uint8, int64 is what cross_entropy expects).
        dataset: "mnist", "fashion-mnist", "embedded" (the subset inside the package) or "auto":
            MNIST when its files are found (root not given); else full Fashion-MNIST when its
            files are found, or root or download=True is given; else embedded. Anything but MNIST comes with a
            DatasetFallbackWarning naming what was loaded and how to get MNIST (name the data set
            to silence it).
        root: the one directory to look in (else the usual places), as for datasets.MNIST.
        download: fetch missing files (needs internet), as for datasets.MNIST.
        return_source: also return a one-line description of what was loaded.
    """
    if dataset not in ("auto", "mnist", "fashion-mnist", "embedded"):
        raise ValueError(f'dataset must be "auto", "mnist", "fashion-mnist" or "embedded", got {dataset!r}')
    if dataset == "embedded" and (root is not None or download):
        raise ValueError('dataset="embedded" is shipped inside the package: root and download do not apply')
    fell_back = False
    if dataset == "auto":
        dataset = _auto_dataset(root, download)
        fell_back = dataset != "mnist"
    if dataset == "embedded":
        arrays = embedded.load()
        splits = [(arrays[f"{s}_images"], arrays[f"{s}_labels"], embedded.describe(s)) for s in ("train", "test")]
    else:
        spec = sources.SPECS[dataset]
        splits = [load_split(spec, train, root, download) for train in (True, False)]
    result = tuple(_book_arrays(images, labels, normalize, flatten, one_hot_label) for images, labels, _ in splits)
    source = "; ".join(description for _, _, description in splits)
    if fell_back:
        warnings.warn(f"load_mnist(dataset=\"auto\") loaded {source}, not MNIST (accuracies differ from the "
                      f"book's). To get MNIST: load_mnist(dataset=\"mnist\", download=True), or put its four IDX "
                      f"files in a directory and set {sources.MNIST.env_var} or pass root=. Pass "
                      f"dataset=\"fashion-mnist\" or \"embedded\" to choose explicitly and silence this warning.",
                      DatasetFallbackWarning, stacklevel=2)
    if return_source:
        return result[0], result[1], source
    return result


def _auto_dataset(root: str | os.PathLike[str] | None, download: bool) -> str:
    """What dataset="auto" loads: MNIST if found, else full Fashion-MNIST if found or asked for, else embedded.

    Files in `root` are taken as Fashion-MNIST: both data sets use the same file names.
    """
    if root is None and all(sources.find_split(sources.MNIST, train) is not None for train in (True, False)):
        return "mnist"
    full_available = download or root is not None or all(
        sources.find_split(sources.FASHION_MNIST, train) is not None for train in (True, False))
    return "fashion-mnist" if full_available else "embedded"
