"""Checkpoints: `save(obj, path)` / `load(path)` for nested state (state_dicts, optimizers, epoch counters).

Layer L6. A checkpoint is a safetensors file (safetensors.py): every array is one tensor, named by
its place in `obj` (`model.0.weight`), and the nesting (dicts, lists, tuples, numbers, strings)
is a JSON document (structure.py) in the metadata entry "tinygrad_edu". PyTorch and Hugging Face
read the tensors directly; a state dict saved here loads into a torch module. A path ending in
.npz writes the older .npz format (npz.py). `load` tells the formats apart by their first bytes,
never runs code (no pickle), checks every size against the file before allocating, and raises
CheckpointError (a ValueError) naming the file and what is wrong. `save` is atomic and respects
the file system (_files.atomic_write). See docs/checkpoints.md.
"""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from .._files import atomic_write, open_regular_file
from . import npz, safetensors
from .structure import CheckpointError, Decoder, Encoder, document, parse_json, root_of

METADATA_KEY = "tinygrad_edu"  # the safetensors metadata entry that holds the structure document

__all__ = ["CheckpointError", "load", "save"]


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write `obj` (nested dicts/lists/tuples of arrays, Tensors, numbers, strings) to `path` atomically.

    The file is a safetensors file at exactly `path` (no suffix is added), or an .npz archive
    when `path` ends in ".npz". Tensors are stored as their arrays and come back from `load` as
    NumPy arrays, which `load_state_dict` accepts. Unsupported values raise TypeError naming
    where they sit, e.g. `obj['state'][0]['fn']`.
    """
    as_npz = os.fspath(path).lower().endswith(".npz")
    encoder = Encoder(readable_names=not as_npz)
    root = encoder.encode(obj, "obj", [])
    text = json.dumps(document(root), allow_nan=False, ensure_ascii=False)
    if as_npz:
        arrays = dict(encoder.arrays)
        arrays[npz.STRUCTURE_KEY] = np.array(text)  # a 0-d unicode array: no pickle needed
        atomic_write(path, lambda file: npz.write(file, arrays))
        return
    # an error while writing (a dtype safetensors lacks) removes the temporary file; the target is untouched
    atomic_write(path, lambda file: safetensors.write(file, encoder.arrays, {METADATA_KEY: text}))


def load(path: str | os.PathLike[str], map_location: Any = None, *, weights_only: bool | None = None) -> Any:
    """Read a checkpoint written by `save` (or any safetensors file); arrays come back as NumPy arrays.

    Loading is always weights-only: nothing is ever unpickled, so PyTorch's `weights_only=True`
    is what happens anyway and `weights_only=False` cannot make it load more. `map_location` is
    accepted for PyTorch code; every array lands on the CPU.

    A safetensors file without tinygrad_edu's structure (one written by PyTorch's
    `safetensors.torch.save_file`) loads as a dict of arrays sorted by name. Every malformed,
    truncated or hostile file raises CheckpointError (a ValueError) naming the file; files that
    could only be read by unpickling are refused; OS errors (missing file, permission) pass through.
    """
    source = os.fspath(path)
    with open_regular_file(path, "a checkpoint", CheckpointError) as file:
        start = file.read(9)
        file.seek(0)
        if start.startswith(b"PK"):
            return _load_npz(file, source)
        if start.startswith(b"\x93NUMPY"):
            raise CheckpointError(f"{source} is not a tinygrad_edu checkpoint (a single .npy array, not an .npz "
                                  "archive or safetensors file)")
        if start[8:] == b"{":
            return _load_safetensors(file, source)
        if start[:1] == b"\x80":
            raise CheckpointError(f"{source}: refused to load: the file is a pickle, and unpickling can run code "
                                  "(save checkpoints with tg.save, or safetensors.torch.save_file in PyTorch)")
        raise CheckpointError(f"{source} is not a checkpoint: it starts with {start[:8]!r}, neither a safetensors "
                              "header nor an .npz archive")


def _load_safetensors(file: Any, source: str) -> Any:
    tensors, metadata = safetensors.read(file, source)
    if METADATA_KEY not in metadata:  # a plain safetensors file, e.g. from PyTorch
        return {name: tensors[name] for name in sorted(tensors)}

    def fetch(key: str, where: str) -> np.ndarray:
        if key not in tensors:
            raise CheckpointError(f"{source}: {where} refers to a tensor {key[:80]!r} that the file does not contain")
        return tensors[key]

    decoder = Decoder(source, fetch)
    result = decoder.decode(root_of(parse_json(metadata[METADATA_KEY], source, "structure"), source))
    unused = sorted(set(tensors) - decoder.used_keys)
    if unused:
        raise CheckpointError(f"{source}: tensors {unused[:5]} are not part of the checkpoint's structure")
    return result


def _load_npz(file: Any, source: str) -> Any:
    reader = npz.NpzReader(file, source, os.fstat(file.fileno()).st_size)
    try:
        if not reader.has(npz.STRUCTURE_KEY):
            hint = " (a torch.save file? PyTorch can write safetensors)" if any(
                name.endswith("data.pkl") for name in reader.members) else ""
            raise CheckpointError(f"{source} is not a tinygrad_edu checkpoint (no {npz.STRUCTURE_KEY} member){hint}")
        text = reader.array(npz.STRUCTURE_KEY)
        if text.ndim != 0 or text.dtype.kind != "U":
            raise CheckpointError(f"{source}: {npz.STRUCTURE_KEY} must be a 0-d string array, found {text.dtype} "
                                  f"{text.shape}")

        def fetch(key: str, where: str) -> np.ndarray:
            if key == npz.STRUCTURE_KEY or not reader.has(key):
                raise CheckpointError(f"{source}: {where} refers to an array {key[:80]!r} that the file does not "
                                      "contain")
            return reader.array(key)

        root = root_of(parse_json(str(text[()]), source, "structure"), source)
        return Decoder(source, fetch).decode(root)
    finally:
        reader.close()
