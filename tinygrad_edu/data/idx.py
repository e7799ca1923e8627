"""Read and write IDX files, the format MNIST and Fashion-MNIST are published in.

Layer L6 (stdlib + NumPy only). An IDX file is a 4-byte magic number (two zero bytes, a dtype
code, the number of dimensions), one big-endian uint32 per dimension, then the values in C order,
big-endian. Files may be gzip-compressed; gzip is recognised by its own magic bytes, not by the
file name, and inflated as it is read: never more than the header's size plus one byte. Sizes are
Python ints (no overflow), and are checked against the file before the array is allocated. Every
malformed file (truncated, corrupt gzip, wrong magic, trailing bytes) raises a ValueError naming
the file and what is wrong; anything that is not a regular file is refused. See docs/data.md.
"""
from __future__ import annotations

import gzip
import io
import math
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .._files import open_regular_file

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


_CHUNK = 1 << 20
# deflate expands at most 1032:1, so a gzip file can never hold more than this many bytes per byte
_MAX_GZIP_RATIO = 1032


class _Stream:
    """The decoded bytes of an IDX file, raw or gzip, read on demand; gzip errors become ValueError."""

    def __init__(self, file: BinaryIO, name: str, size: int) -> None:
        self.name = name
        self.compressed_size = size  # of the file as stored (compressed, if gzip)
        self.gzip = file.read(2) == _GZIP_MAGIC
        file.seek(0)
        self.file = gzip.GzipFile(fileobj=file, mode="rb") if self.gzip else file

    def read(self, count: int) -> bytes:
        """Up to `count` bytes, fewer only at the end of the data; never inflates more than asked."""
        try:
            return self.file.read(count)
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            # BadGzipFile (an OSError) for bad headers and CRCs, EOFError for a cut-off stream
            raise ValueError(f"{self.name}: corrupt or truncated gzip data ({error})") from None

    def read_into(self, buffer: np.ndarray) -> int:
        """Fill the uint8 `buffer` chunk by chunk; the number of bytes that were available."""
        view, filled = buffer.data, 0  # the array's memory as a memoryview
        while filled < len(view):
            chunk = self.read(min(_CHUNK, len(view) - filled))
            if not chunk:
                break
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
        return filled


def _parse_header(stream: _Stream) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, shape, header size) from the magic number and dimension sizes."""
    name = stream.name
    magic = stream.read(4)
    if len(magic) < 4:
        raise ValueError(f"{name}: too short for an IDX header ({len(magic)} bytes, need at least 4)")
    zero0, zero1, code, ndim = magic
    if zero0 != 0 or zero1 != 0:
        raise ValueError(f"{name}: not an IDX file (magic number starts with {magic[:2].hex()}, expected 0000)")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{name}: unknown IDX dtype code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(f"{name}: truncated header: {ndim} dimensions need {header_size} bytes, file has "
                         f"{4 + len(sizes)}")
    shape = tuple(int.from_bytes(sizes[i:i + 4], "big") for i in range(0, 4 * ndim, 4))
    return IDX_DTYPES[code], shape, header_size


def _read_stream(stream: _Stream) -> np.ndarray:
    name = stream.name
    dtype, shape, header_size = _parse_header(stream)
    expected = math.prod(shape) * dtype.itemsize  # Python ints: 4 dimensions of 2**32 cannot overflow
    limit = stream.compressed_size * _MAX_GZIP_RATIO if stream.gzip else stream.compressed_size - header_size
    if expected > limit:  # known before allocating: the file cannot hold the data
        available = "" if stream.gzip else f", found {limit}"
        raise ValueError(f"{name}: truncated data: shape {shape} of {dtype.name} needs {expected} bytes after the "
                         f"header{available}" + (f" (more than this {stream.compressed_size}-byte gzip file can "
                                              "hold)" if stream.gzip else ""))
    buffer = np.empty(expected, dtype=np.uint8)
    found = stream.read_into(buffer)
    if found < expected:
        raise ValueError(f"{name}: truncated data: shape {shape} of {dtype.name} needs {expected} bytes "
                         f"after the header, found {found}")
    if stream.read(1):  # one byte past the declared data is enough to know the file is too long
        extra = "" if stream.gzip else f"{stream.compressed_size - header_size - expected} "
        raise ValueError(f"{name}: {extra}unexpected trailing bytes after the data of shape {shape}")
    return buffer.view(dtype).reshape(shape).astype(dtype.newbyteorder("="))  # native order, writable


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file (raw or gzip) into a native-endian array."""
    return _read_stream(_Stream(io.BytesIO(raw), name, len(raw)))


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a NumPy array of its declared shape and dtype.

    Gzip is inflated as it is read, never beyond the size the header declares plus one byte.
    Malformed files raise ValueError naming the file; OS errors pass through.
    """
    with open_regular_file(path, "an IDX file", ValueError) as file:
        return _read_stream(_Stream(file, os.fspath(path), os.fstat(file.fileno()).st_size))


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


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write `array` as an IDX file; gzip-compressed when the file name ends in .gz."""
    path = Path(path)
    payload = idx_bytes(array)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)  # mtime 0: same array, same bytes
    path.write_bytes(payload)
