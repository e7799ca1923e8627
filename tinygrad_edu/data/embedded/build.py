"""Build the embedded Fashion-MNIST subset and its manifest from the full IDX files.

Run `python -m tinygrad_edu.data.embedded.build [directory]` (default: wherever FashionMNIST finds
the files, e.g. /usr/share/datasets/fashion-mnist). Selection is deterministic, with no randomness:
the first `PER_CLASS_TRAIN` training and `PER_CLASS_TEST` test images of each class, in file order.
The .npz is written with fixed zip timestamps, so the same input gives the same bytes and the
same SHA-256. Fashion-MNIST is by Zalando Research, MIT licence. See docs/data.md.
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from typing import Any

import numpy as np

from .. import sources
from ..mnist import read_split
from . import ARCHIVE, KEYS, MANIFEST

PER_CLASS_TRAIN = 500
PER_CLASS_TEST = 100

# The MIT licence asks that its notice travel with every copy of the data: it goes into the manifest,
# which is installed next to the archive.
FASHION_MNIST_LICENCE = (
    "The MIT License (MIT). Copyright (c) 2017 Zalando SE, https://tech.zalando.com. "
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and "
    "associated documentation files (the \"Software\"), to deal in the Software without restriction, including "
    "without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell "
    "copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the "
    "following conditions: The above copyright notice and this permission notice shall be included in all "
    "copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF "
    "ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR "
    "A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR "
    "ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, "
    "OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."
)


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first `per_class` samples of every class, in file order."""
    chosen = [np.flatnonzero(labels == label)[:per_class] for label in range(10)]
    counts = [len(c) for c in chosen]
    if min(counts) < per_class:
        raise ValueError(f"need {per_class} samples per class, the file has {counts}")
    return np.sort(np.concatenate(chosen))


def deterministic_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz (zip of .npy) whose bytes depend only on the arrays: fixed names, order and dates."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for key in KEYS:
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue(), compresslevel=9)
    return buffer.getvalue()


def build(root: str | None = None) -> dict[str, Any]:
    """Write the subset and manifest next to this file; return the manifest."""
    spec = sources.FASHION_MNIST
    arrays, inputs = {}, {}
    for split, train, per_class in (("train", True, PER_CLASS_TRAIN), ("test", False, PER_CLASS_TEST)):
        found = sources.find_split(spec, train, root)
        if found is None:
            raise FileNotFoundError(sources.missing_message(spec, train, root))
        images, labels = read_split(*found)
        index = first_per_class(labels, per_class)
        arrays[f"{split}_images"] = images[index]
        arrays[f"{split}_labels"] = labels[index]
        arrays[f"{split}_indices"] = index.astype(np.int32)
        for path in found:
            inputs[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    payload = deterministic_npz(arrays)
    ARCHIVE.write_bytes(payload)
    manifest = {
        "file": ARCHIVE.name,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "bytes": len(payload),
        "counts": {"train": int(arrays["train_labels"].size), "test": int(arrays["test_labels"].size)},
        "per_class": {"train": PER_CLASS_TRAIN, "test": PER_CLASS_TEST},
        "selection": "first N images of each class in file order (no randomness); *_indices are their "
                     "positions in the full files",
        "arrays": {key: {"dtype": str(arrays[key].dtype), "shape": list(arrays[key].shape)} for key in KEYS},
        "source_files_sha256": inputs,
        "dataset": "Fashion-MNIST, https://github.com/zalandoresearch/fashion-mnist",
        "credit": "Han Xiao, Kashif Rasul, Roland Vollgraf: Fashion-MNIST: a Novel Image Dataset for "
                  "Benchmarking Machine Learning Algorithms (Zalando Research, 2017), arXiv:1708.07747",
        "licence": "MIT, Copyright (c) 2017 Zalando SE",
        "licence_text": FASHION_MNIST_LICENCE,
        "built_by": "python -m tinygrad_edu.data.embedded.build",
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    result = build(sys.argv[1] if len(sys.argv) > 1 else None)
    print(f"wrote {ARCHIVE} ({result['bytes']} bytes, sha256 {result['sha256']})")
