"""Read and write IDX files, the format MNIST and Fashion-MNIST are published in.

Layer L6 (stdlib + NumPy only). An IDX file is a 4-byte magic number (two zero bytes, a dtype
code, the number of dimensions), one big-endian uint32 per dimension, then the values in C order,
big-endian. Files may be gzip-compressed; gzip is recognised by its own magic bytes, not by the
file name. Every malformed file (truncated, corrupt gzip, wrong magic, trailing bytes) raises a
ValueError naming the file and what is wrong. See docs/data.md.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

# dtype code (third byte of the magic number) -> big-endian NumPy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        # gzip raises BadGzipFile (an OSError) for bad headers, EOFError for a cut-off stream
        raise ValueError(f"{path}: corrupt or truncated gzip data ({error})") from error


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into a native-endian array."""
    if len(raw) < 4:
        raise ValueError(f"{name}: too short for an IDX header ({len(raw)} bytes, need at least 4)")
    zero0, zero1, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0:
        raise ValueError(f"{name}: not an IDX file (magic number starts with {raw[:2].hex()}, expected 0000)")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{name}: unknown IDX dtype code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{name}: truncated header: {ndim} dimensions need {header_size} bytes, file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_size
    if found < expected:
        raise ValueError(f"{name}: truncated data: shape {shape} of {dtype.name} needs {expected} bytes "
                         f"after the header, found {found}")
    if found > expected:
        raise ValueError(f"{name}: {found - expected} unexpected trailing bytes after the data of shape {shape}")
    values = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header_size)
    return values.reshape(shape).astype(dtype.newbyteorder("="))  # astype copies: writable, native order


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a NumPy array of its declared shape and dtype."""
    path = Path(path)
    return parse_idx(_read_bytes(path), str(path))


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as the bytes of an IDX file (its dtype must be one IDX supports)."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        names = ", ".join(d.name for d in codes)
        raise TypeError(f"IDX cannot store dtype {array.dtype}; supported: {names}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, got an array of shape {array.shape}")
    header = bytes([0, 0, codes[native], array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=native.newbyteorder(">")).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write `array` as an IDX file; gzip-compressed when the file name ends in .gz."""
    path = Path(path)
    payload = idx_bytes(array)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)  # mtime 0: same array, same bytes
    path.write_bytes(payload)
