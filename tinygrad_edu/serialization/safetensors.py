"""The safetensors file format on NumPy: `save_file(tensors, path, metadata)` and `load_file(path)`.

Layer L6 (stdlib, NumPy and _files only). A safetensors file is an 8-byte little-endian header
length n, n bytes of JSON (`{"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [2, 3],
"data_offsets": [begin, end]}, ...}`, padded with spaces to a multiple of 8), then the tensors'
little-endian bytes, back to back, in the order the JSON gives them. The writer produces the same
bytes as the official `safetensors` package (tensors ordered by dtype, largest first, then by name),
so PyTorch and Hugging Face read these files and this module reads theirs. The reader checks the
header length, every dtype, shape and offset against the file size before allocating anything, and
that the tensors tile the data section exactly (no gaps, no overlaps: no tensor is stored twice).
Errors are CheckpointError (a ValueError) naming the file. See docs/checkpoints.md.
"""
from __future__ import annotations

import json
import math
import os
import io
import struct
from typing import Any, BinaryIO

import numpy as np

from .._files import atomic_write, open_regular_file
from .structure import CheckpointError, parse_json

MAX_HEADER_BYTES = 100_000_000  # the official package's limit
# the format's dtype names, in the order of the official package's Dtype enum (its sort key)
DTYPE_ORDER = ("BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16",
               "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64")
NUMPY_DTYPES: dict[str, np.dtype] = {name: np.dtype(code) for name, code in (
    ("BOOL", "?"), ("U8", "u1"), ("I8", "i1"), ("I16", "<i2"), ("U16", "<u2"), ("F16", "<f2"), ("I32", "<i4"),
    ("U32", "<u4"), ("F32", "<f4"), ("C64", "<c8"), ("F64", "<f8"), ("I64", "<i8"), ("U64", "<u8"))}
_NAME_OF = {(dtype.kind, dtype.itemsize): name for name, dtype in NUMPY_DTYPES.items()}


def dtype_name(dtype: np.dtype) -> str | None:
    """The safetensors name of a NumPy dtype (F32, I64, BOOL...), or None when the format has none."""
    return _NAME_OF.get((dtype.kind, dtype.itemsize))


def header_bytes(tensors: dict[str, np.ndarray], metadata: dict[str, str] | None) -> bytes:
    """The length prefix and JSON header for `tensors` (already in writing order)."""
    header: dict[str, Any] = {} if metadata is None else {"__metadata__": dict(metadata)}
    offset = 0
    for name, array in tensors.items():
        header[name] = {"dtype": dtype_name(array.dtype), "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)  # the official writer pads to 8 bytes so the data is aligned
    if len(text) > MAX_HEADER_BYTES:
        raise ValueError(f"safetensors header of {len(text)} bytes exceeds the format's {MAX_HEADER_BYTES}")
    return struct.pack("<Q", len(text)) + text


def writing_order(tensors: dict[str, Any], where: str = "save_file") -> dict[str, np.ndarray]:
    """Checked little-endian C-order arrays, in the official writer's order (dtype rank, then name)."""
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"{where}: tensor names must be str, got {type(name).__name__} {name!r}")
        array = np.asarray(value)
        if dtype_name(array.dtype) is None:
            raise TypeError(f"{where}: tensor {name!r} has dtype {array.dtype}, which safetensors cannot store "
                            f"(supported: {', '.join(str(d) for d in NUMPY_DTYPES.values())}); "
                            "save to a .npz path to keep it")
        arrays[name] = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
    ranked = sorted(arrays, key=lambda n: (-DTYPE_ORDER.index(dtype_name(arrays[n].dtype)), n))
    return {name: arrays[name] for name in ranked}


def write(file: BinaryIO, tensors: dict[str, Any], metadata: dict[str, str] | None = None) -> None:
    """Write a safetensors file to the open binary `file`."""
    ordered = writing_order(tensors)
    file.write(header_bytes(ordered, metadata))
    for array in ordered.values():
        file.write(array.reshape(-1).view(np.uint8).data)


def save_file(tensors: dict[str, Any], filename: str | os.PathLike[str],
              metadata: dict[str, str] | None = None) -> None:
    """Write a dict of arrays (and str->str metadata) as a safetensors file, atomically (as safetensors.numpy)."""
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("save_file: metadata must map str to str")
    atomic_write(filename, lambda file: write(file, tensors, metadata))


def _check_entry(source: str, name: str, entry: Any, data_size: int) -> tuple[int, int, np.dtype, tuple[int, ...]]:
    """(begin, end, dtype, shape) of one header entry, every number checked against the file."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise CheckpointError(f"{source}: tensor {name[:80]!r}: its header entry must have exactly dtype, shape and "
                              f"data_offsets, found {str(entry)[:120]}")
    dtype_text, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype_text, str) or dtype_text not in NUMPY_DTYPES:
        why = "not supported by NumPy" if dtype_text in DTYPE_ORDER else "unknown"
        raise CheckpointError(f"{source}: tensor {name[:80]!r} has dtype {str(dtype_text)[:20]!r} ({why}; "
                              f"readable: {', '.join(NUMPY_DTYPES)})")
    numbers = (shape if isinstance(shape, list) else [None]) + (offsets if isinstance(offsets, list) else [None])
    if not all(type(n) is int and n >= 0 for n in numbers) or len(offsets) != 2:
        raise CheckpointError(f"{source}: tensor {name[:80]!r}: shape and data_offsets must be lists of "
                              f"non-negative ints ([begin, end]), found {str(shape)[:60]} and {str(offsets)[:60]}")
    dtype = NUMPY_DTYPES[dtype_text]
    begin, end = offsets
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow however large the shape
    if begin > end or end > data_size:
        raise CheckpointError(f"{source}: tensor {name[:80]!r} has data_offsets [{begin}, {end}], outside the "
                              f"{data_size} data bytes the file holds")
    if end - begin != expected:
        raise CheckpointError(f"{source}: tensor {name[:80]!r} of dtype {dtype_text} and shape {tuple(shape)} "
                              f"needs {expected} bytes, its data_offsets span {end - begin}")
    return begin, end, dtype, tuple(shape)


def read(file: io.BufferedIOBase, source: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(tensors in file order, metadata) from an open safetensors file; malformed files raise CheckpointError."""
    size = os.fstat(file.fileno()).st_size
    prefix = file.read(8)
    if len(prefix) < 8:
        raise CheckpointError(f"{source}: too short for a safetensors file ({len(prefix)} bytes, need at least 8)")
    header_size = struct.unpack("<Q", prefix)[0]
    if header_size > min(size - 8, MAX_HEADER_BYTES):
        raise CheckpointError(f"{source}: safetensors header length {header_size} at offset 0 exceeds the "
                              f"{size - 8} bytes after it (limit {MAX_HEADER_BYTES})")
    text = file.read(header_size)
    if len(text) != header_size or not text.startswith(b"{"):
        raise CheckpointError(f"{source}: the safetensors header (bytes 8 to {8 + header_size}) is not a JSON object")
    header = parse_json(text, source, "safetensors header")
    if not isinstance(header, dict):
        raise CheckpointError(f"{source}: the safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{source}: __metadata__ must map str to str")
    data_size = size - 8 - header_size
    entries = {name: _check_entry(source, name, entry, data_size) for name, entry in header.items()}
    position = 0
    for name, (begin, end, _, _) in sorted(entries.items(), key=lambda item: item[1][:2]):
        if begin != position:
            what = "overlaps the tensor before it" if begin < position else f"leaves a gap at data byte {position}"
            raise CheckpointError(f"{source}: tensor {name[:80]!r} at data_offsets [{begin}, {end}] {what}")
        position = end
    if position != data_size:
        raise CheckpointError(f"{source}: the tensors end at data byte {position}, the file has {data_size}")
    tensors = {}
    for name, (begin, end, dtype, shape) in sorted(entries.items(), key=lambda item: item[1][:2]):
        buffer = np.empty(end - begin, dtype=np.uint8)
        if file.readinto(buffer.data) != end - begin:
            raise CheckpointError(f"{source}: the file ended inside tensor {name[:80]!r} (it changed while read?)")
        tensors[name] = buffer.view(dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)
    return tensors, metadata


def load_file(filename: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as a dict of NumPy arrays, sorted by name (as safetensors.numpy)."""
    with open_regular_file(filename, "a safetensors file", CheckpointError) as file:
        tensors, _ = read(file, os.fspath(filename))
    return {name: tensors[name] for name in sorted(tensors)}
