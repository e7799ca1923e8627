"""The .npz checkpoint format (a zip of .npy members plus a JSON `__structure__`), read defensively.

Layer L6 (stdlib, NumPy, structure.py). The first checkpoint format of tinygrad_edu, still
written when the path ends in .npz and always read. The reader never trusts the zip: before
anything is inflated it checks the member count, that stored sizes fit in the file, that members
do not overlap (one stored array cannot be reached under several names), and that compressed
members declare at most MAX_INFLATION times their compressed size in total; each member is
inflated only up to the size it declares. A .npy header is parsed with NumPy's literal parser and
its shape and dtype are checked against the member's size before the array is allocated; object
dtypes and bare pickles are refused (loading them could run code). See docs/checkpoints.md.
"""
from __future__ import annotations

import math
import struct
import zipfile
import zlib
from typing import Any, BinaryIO

import numpy as np

from .structure import MAX_NODES, CheckpointError

STRUCTURE_KEY = "__structure__"
MAX_INFLATION = 100  # compressed members may inflate to 100x their stored size in total (1 MiB -> 100 MiB)
# RuntimeError: zipfile's "not supported" errors (a zip version newer than it reads, a missing codec)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error, EOFError, OverflowError,
               RuntimeError, KeyError, IndexError, zlib.error)
# General-purpose flag bits of a member that this reader refuses: encrypted (bit 0), compressed
# patched data (bit 5), strong encryption (bit 6)
_REFUSED_FLAGS = 0x0001 | 0x0020 | 0x0040


def write(file: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays as an uncompressed .npz to the open binary `file`."""
    # No allow_pickle=False here: NumPy before 2.1 has no such parameter and would store it as an array
    # named 'allow_pickle' (the encoder stores no object arrays anyway). Newer stubs type **kwds against it.
    np.savez(file, **arrays)  # type: ignore[arg-type]


class NpzReader:
    """Reads the members of an .npz checkpoint, every size checked first."""

    def __init__(self, file: BinaryIO, source: str, size: int) -> None:
        self.source = source
        try:
            self.zip = zipfile.ZipFile(file)
            infos = self.zip.infolist()
        except _ZIP_ERRORS as error:
            raise CheckpointError(f"{source}: not a readable .npz (zip) archive ({error})") from None
        if len(infos) > MAX_NODES:
            raise CheckpointError(f"{source}: {len(infos)} members, more than the limit {MAX_NODES}")
        self.members = {}
        inflated_limit = MAX_INFLATION * size
        inflated, end = 0, 0
        for info in sorted(infos, key=lambda i: i.header_offset):
            where = f"{source}: member {info.filename[:80]!r} at offset {info.header_offset}"
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise CheckpointError(f"{where} uses compression method {info.compress_type}; only stored and "
                                      "deflated members are read")
            if info.flag_bits & _REFUSED_FLAGS:
                raise CheckpointError(f"{where} is encrypted or holds patched data (zip flag bits "
                                      f"{info.flag_bits:#06x}); only plain members are read")
            if info.header_offset < end:
                raise CheckpointError(f"{where} overlaps the member before it (ends at {end}); a stored array "
                                      "may be reached under one name only")
            end = info.header_offset + info.compress_size
            if end > size:
                raise CheckpointError(f"{where} claims {info.compress_size} stored bytes, past the end of the "
                                      f"{size}-byte file")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise CheckpointError(f"{where} is stored uncompressed but declares {info.file_size} bytes "
                                      f"in {info.compress_size}")
            inflated += info.file_size
            if inflated > inflated_limit:
                raise CheckpointError(f"{where}: members declare {inflated} bytes in total, more than "
                                      f"{MAX_INFLATION} times the file size ({size}); refusing a compression bomb")
            self.members[info.filename] = info

    def close(self) -> None:
        """Close the zip archive."""
        self.zip.close()

    def has(self, key: str) -> bool:
        """Whether the archive holds the array `key` (the member `key`.npy)."""
        return f"{key}.npy" in self.members

    def array(self, key: str) -> np.ndarray:
        """The array stored in member `key`.npy, its header checked against the member's size."""
        info = self.members[f"{key}.npy"]
        where = f"{self.source}: member {info.filename[:80]!r}"
        try:
            with self.zip.open(info) as member:
                magic = member.read(6)
                if magic != b"\x93NUMPY":
                    if magic[:1] == b"\x80":
                        raise CheckpointError(f"{where} is a bare pickle; refused to load it (unpickling can run "
                                              "code)")
                    raise CheckpointError(f"{where} is not a .npy array (starts with {magic!r})")
                version = member.read(2)
                reader = {b"\x01\x00": np.lib.format.read_array_header_1_0,
                          b"\x02\x00": np.lib.format.read_array_header_2_0}.get(version)
                if reader is None:
                    raise CheckpointError(f"{where} has .npy format version {version!r}, expected 1.0 or 2.0")
                shape, fortran_order, dtype = reader(member)
                return self._payload(member, info, where, shape, fortran_order, dtype)
        except CheckpointError:
            raise
        except _ZIP_ERRORS + (SyntaxError, TypeError) as error:  # truncated, corrupt, bad CRC, bad header
            raise CheckpointError(f"{where} is corrupt ({type(error).__name__}: {str(error)[:200]})") from None

    def _payload(self, member: Any, info: zipfile.ZipInfo, where: str, shape: tuple[int, ...],
                 fortran_order: bool, dtype: np.dtype) -> np.ndarray:
        if dtype.hasobject:
            raise CheckpointError(f"{where} holds an array of dtype {dtype}, which needs pickle; refused to load "
                                  "it (unpickling can run code)")
        if dtype.kind == "V" or dtype.itemsize == 0:
            raise CheckpointError(f"{where} has unsupported dtype {dtype}")
        if not all(type(n) is int and n >= 0 for n in shape):
            raise CheckpointError(f"{where} has a malformed shape {shape}")
        expected = math.prod(shape) * dtype.itemsize
        found = info.file_size - member.tell()
        if expected != found:
            raise CheckpointError(f"{where}: shape {shape} of {dtype} needs {expected} bytes, the member holds "
                                  f"{found}")
        buffer = np.empty(expected, dtype=np.uint8)
        view, filled = buffer.data, 0  # the array's memory as a memoryview
        while filled < expected:
            count = member.readinto(view[filled:])
            if not count:
                raise CheckpointError(f"{where} ended after {filled} of {expected} data bytes")
            filled += count
        array = buffer.view(dtype) if expected else np.empty(0, dtype=dtype)
        return array.reshape(shape, order="F" if fortran_order else "C")
