"""The Fashion-MNIST subset shipped inside the package, so training works with no files and no network.

Layer L6 (stdlib + NumPy only). `fashion_mnist_subset.npz` holds the first 500 training and the
first 100 test images of each of the 10 classes of Zalando Research's Fashion-MNIST (MIT licence),
as uint8, with their indices in the full files. `manifest.json` records how it was made and its
SHA-256, which `load()` checks before trusting the file. build.py regenerates both, byte for byte,
from the full IDX files: `python -m tinygrad_edu.data.embedded.build`. See docs/data.md.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ARCHIVE = HERE / "fashion_mnist_subset.npz"
MANIFEST = HERE / "manifest.json"
KEYS = ("train_images", "train_labels", "train_indices", "test_images", "test_labels", "test_indices")


def manifest() -> dict[str, Any]:
    """The manifest: file name, SHA-256, sizes, how the subset was selected, credit and licence."""
    document: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))  # a JSON object, by build.py
    return document


@functools.lru_cache(maxsize=1)
def load() -> dict[str, np.ndarray]:
    """The subset's arrays (read-only), after checking the archive against the manifest's SHA-256."""
    expected = manifest()["sha256"]
    payload = ARCHIVE.read_bytes()
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        raise RuntimeError(f"{ARCHIVE} is damaged or was changed: SHA-256 {actual}, manifest says {expected}; "
                           "reinstall tinygrad_edu or rebuild it with `python -m tinygrad_edu.data.embedded.build`")
    with np.load(ARCHIVE, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in KEYS}
    for array in arrays.values():
        array.flags.writeable = False  # cached and shared by every caller
    return arrays


def describe(split: str) -> str:
    """One line saying what the embedded `split` ("train" or "test") is."""
    count = manifest()["counts"][split]
    return f"embedded Fashion-MNIST subset {split} ({count} images, class-balanced) from {ARCHIVE.name}"
