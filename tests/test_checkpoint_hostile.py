"""Hostile and broken checkpoints: only CheckpointError (a ValueError) naming the file, bounded memory."""
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.serialization import CheckpointError

ROOT = Path(__file__).resolve().parent.parent


def structure_npz(path, root, **arrays):
    """An .npz checkpoint with a hand-written structure document."""
    document = {"format": "tinygrad_edu.checkpoint", "version": 1, "root": root}
    np.savez(path, __structure__=np.array(json.dumps(document)), **arrays)
    return path


def safetensors_bytes(header: dict, data: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def array_node(key, kind="array"):
    return {"type": kind, "key": key}


def test_a_scalar_node_pointing_at_a_2d_array_is_refused(tmp_path):
    path = structure_npz(tmp_path / "c.npz", array_node("a0", "scalar"), a0=np.ones((2, 2)))
    with pytest.raises(CheckpointError, match=r"c\.npz: obj is a scalar but its array 'a0' has shape \(2, 2\)"):
        tg.load(path)


def test_a_bare_pickle_member_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    structure_npz(path, array_node("a0"))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("a0.npy", pickle.dumps({"x": 1}))
    with pytest.raises(CheckpointError, match="member 'a0.npy' is a bare pickle; refused"):
        tg.load(path)


def test_one_stored_array_referenced_many_times_is_refused(tmp_path):
    root = {"type": "list", "items": [array_node("a0")] * 2000}
    path = structure_npz(tmp_path / "c.npz", root, a0=np.zeros(1000))
    with pytest.raises(CheckpointError, match=r"obj\[1\] refers to the array 'a0' a second time"):
        tg.load(path)
    header = {"__metadata__": {"tinygrad_edu": json.dumps({"format": "tinygrad_edu.checkpoint", "version": 1,
                                                            "root": root})},
              "a0": {"dtype": "F64", "shape": [1000], "data_offsets": [0, 8000]}}
    (tmp_path / "c.st").write_bytes(safetensors_bytes(header, bytes(8000)))
    with pytest.raises(CheckpointError, match="a second time"):
        tg.load(tmp_path / "c.st")


def _patch_every_zip_header(path, signature: bytes, offset: int, value_of) -> None:
    """Rewrite one little-endian 16-bit field at `offset` in every header that starts with `signature`."""
    raw = bytearray(path.read_bytes())
    at = 0
    while (at := raw.find(signature, at)) != -1:
        struct.pack_into("<H", raw, at + offset, value_of(struct.unpack_from("<H", raw, at + offset)[0]))
        at += 4
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("flag", [0x0001, 0x0020, 0x0040])  # encrypted, patched data, strong encryption
def test_encrypted_or_patched_zip_members_are_refused(tmp_path, flag):
    path = tmp_path / "c.npz"
    tg.save({"w": tg.ones(3)}, path)
    _patch_every_zip_header(path, b"PK\x03\x04", 6, lambda bits: bits | flag)  # local headers
    _patch_every_zip_header(path, b"PK\x01\x02", 8, lambda bits: bits | flag)  # central directory
    with pytest.raises(CheckpointError, match=rf"c\.npz: member 'a0\.npy' at offset 0 is encrypted or "
                                              rf"holds patched data \(zip flag bits {flag:#06x}\)"):
        tg.load(path)


def test_a_zip_version_newer_than_zipfile_reads_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    tg.save({"w": tg.ones(3)}, path)
    _patch_every_zip_header(path, b"PK\x01\x02", 6, lambda _: 99)  # "version needed to extract": 9.9
    with pytest.raises(CheckpointError, match=r"c\.npz: not a readable \.npz \(zip\) archive \(zip file "
                                              r"version 9\.9\)"):
        tg.load(path)


def test_overlapping_zip_members_are_refused(tmp_path):
    path = structure_npz(tmp_path / "c.npz", array_node("a0"), a0=np.zeros(100), a1=np.zeros(100))
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        first = archive.getinfo("a0.npy").header_offset
    directory = raw.index(b"PK\x01\x02")  # point every central directory entry at the first member
    while (entry := raw.find(b"PK\x01\x02", directory)) != -1:
        struct.pack_into("<I", raw, entry + 42, first)
        directory = entry + 4
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="overlaps the member before it"):
        tg.load(path)


def test_overlapping_or_gapped_safetensors_tensors_are_refused(tmp_path):
    overlap = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
               "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    (tmp_path / "o").write_bytes(safetensors_bytes(overlap, bytes(8)))
    with pytest.raises(CheckpointError, match="overlaps the tensor before it"):
        tg.load(tmp_path / "o")
    gap = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
    (tmp_path / "g").write_bytes(safetensors_bytes(gap, bytes(8)))
    with pytest.raises(CheckpointError, match="leaves a gap at data byte 0"):
        tg.load(tmp_path / "g")


@pytest.mark.parametrize("entry, message", [
    ({"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 8]}, "needs 4835703278458516698824704 bytes"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 2**70]}, "outside the 8 data bytes"),
    ({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}, "non-negative ints"),
    ({"dtype": "F32", "shape": [True, 2], "data_offsets": [0, 8]}, "non-negative ints"),
    ({"dtype": ["F32"], "shape": [2], "data_offsets": [0, 8]}, "unknown"),
    ({"dtype": "F32", "shape": [2]}, "must have exactly dtype, shape and data_offsets"),
])
def test_malformed_safetensors_entries_name_the_tensor_and_the_numbers(tmp_path, entry, message):
    (tmp_path / "bad").write_bytes(safetensors_bytes({"w": entry}, bytes(8)))
    with pytest.raises(CheckpointError, match=f"{tmp_path / 'bad'}: tensor 'w'.*{message}"):
        tg.load(tmp_path / "bad")


def test_a_header_longer_than_the_file_is_refused_before_reading_it(tmp_path):
    (tmp_path / "h").write_bytes(struct.pack("<Q", 2**62) + b"{}")
    with pytest.raises(CheckpointError, match="header length 4611686018427387904 at offset 0 exceeds the 2 bytes"):
        tg.load(tmp_path / "h")


def test_a_deeply_nested_structure_is_refused(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "d").write_bytes(safetensors_bytes({"__metadata__": {"tinygrad_edu": deep}}))
    with pytest.raises(CheckpointError, match="nested too deeply"):
        tg.load(tmp_path / "d")
    node = {"type": "none"}
    for _ in range(150):
        node = {"type": "list", "items": [node]}
    document = json.dumps({"format": "tinygrad_edu.checkpoint", "version": 1, "root": node})
    (tmp_path / "e").write_bytes(safetensors_bytes({"__metadata__": {"tinygrad_edu": document}}))
    with pytest.raises(CheckpointError, match="nested more than 100 containers deep"):
        tg.load(tmp_path / "e")
    too_deep: list = []
    for _ in range(150):
        too_deep = [too_deep]
    with pytest.raises(ValueError, match="nested more than 100 containers deep"):
        tg.save(too_deep, tmp_path / "f")


def test_ints_of_any_size_round_trip(tmp_path):
    values = [10**5000 + 1, -(2**70), 2**63, -(2**63), 2**63 - 1]
    for name in ("c", "c.npz"):
        tg.save(values, tmp_path / name)
        assert tg.load(tmp_path / name) == values


def test_files_that_are_not_regular_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    finished, blocked = threading.Event(), []

    def unblock_after_a_while():  # on failure: open the writing end so a blocked reader sees EOF
        if not finished.wait(10):
            blocked.append(True)
            with open(fifo, "wb"):
                pass

    helper = threading.Thread(target=unblock_after_a_while)
    helper.start()
    try:
        with pytest.raises(CheckpointError, match=r"pipe: refused to read a named pipe as a checkpoint"):
            tg.load(fifo)
    finally:
        finished.set()
        helper.join()
    assert not blocked
    with pytest.raises(CheckpointError, match="refused to read a directory"):
        tg.load(tmp_path)
    with pytest.raises(CheckpointError, match="refused to read a device"):
        tg.load("/dev/zero")
    with pytest.raises(FileNotFoundError):  # OS errors pass through unchanged
        tg.load(tmp_path / "missing")


def real_checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real")
    obj = {"model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2)}, "epoch": 4,
           "lr": 0.1, "step": np.int64(3), "names": ["a", None]}
    for name in ("c.safetensors", "c.npz"):
        tg.save(obj, folder / name)
    return {name: (folder / name).read_bytes() for name in ("c.safetensors", "c.npz")}


mutations = st.tuples(st.sampled_from(["truncate", "flip", "insert"]), st.integers(0, 10**6),
                      st.integers(1, 255), st.binary(min_size=1, max_size=8))


def mutate(raw: bytes, mutation) -> bytes:
    kind, position, mask, inserted = mutation
    position %= len(raw)
    if kind == "truncate":
        return raw[:position]
    if kind == "flip":
        return raw[:position] + bytes([raw[position] ^ mask]) + raw[position + 1:]
    return raw[:position] + inserted + raw[position:]


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    return real_checkpoints(tmp_path_factory)


@pytest.mark.parametrize("name", ["c.safetensors", "c.npz"])
@given(mutation=mutations)
def test_mutated_checkpoints_load_or_raise_checkpoint_error_naming_the_file(tmp_path_factory, checkpoint_bytes,
                                                                           name, mutation):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(mutate(checkpoint_bytes[name], mutation))
    try:
        tg.load(path)
    except CheckpointError as error:
        assert str(path) in str(error)


BOMB_SCRIPT = r"""
import json, resource, sys
import numpy as np
import tinygrad_edu as tg
from tinygrad_edu.data.idx import read_idx
size = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + 300 * 2**20, resource.RLIM_INFINITY))
results = {}
for name in sys.argv[1:]:
    try:
        (read_idx if name.endswith(".gz") else tg.load)(name)
        results[name] = "loaded"
    except ValueError as error:
        results[name] = "ValueError: " + str(error)
    except MemoryError:
        results[name] = "MemoryError"
print(json.dumps(results))
"""


def deflated_zeros(prefix: bytes, mebibytes: int) -> bytes:
    """A raw deflate stream of `prefix` then `mebibytes` MiB of zeros, built in milliseconds.

    After a full flush the compressor forgets its history, so every MiB of zeros compresses to the
    same bytes: compress one and repeat it, then end with an empty final block.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = compressor.compress(bytes(2**20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + zeros * mebibytes + b"\x03\x00"


def write_zip(path: Path, stored: dict[str, bytes], deflated: tuple[str, bytes, int]) -> None:
    """A zip with `stored` members and one deflated member (name, stream, declared size); CRC left 0."""
    members = [(name.encode(), 0, zlib.crc32(data), data, len(data)) for name, data in stored.items()]
    members.append((deflated[0].encode(), 8, 0, deflated[1], deflated[2]))
    with open(path, "wb") as file:
        directory = b""
        for name, method, crc, data, size in members:
            offset = file.tell()
            file.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(name),
                                   0) + name + data)
            directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size,
                                     len(name), 0, 0, 0, 0, 0, offset) + name
        start = file.tell()
        file.write(directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory),
                                           start, 0))


def test_bombs_are_refused_under_a_memory_limit(tmp_path):
    """Each file would need 512 MiB or more to load naively; the subprocess may grow by 300 MiB only."""
    npy_header = b"\x93NUMPY\x01\x00" + b"{'descr': '<f8', 'fortran_order': False, 'shape': (67108864,), }".ljust(
        117) + b"\n"
    structure = io.BytesIO()
    document = {"format": "tinygrad_edu.checkpoint", "version": 1, "root": array_node("a0")}
    np.lib.format.write_array(structure, np.array(json.dumps(document)))
    write_zip(tmp_path / "bomb.npz", {"__structure__.npy": structure.getvalue()},
              ("a0.npy", deflated_zeros(npy_header, 512), len(npy_header) + 2**29))
    header = json.dumps({"w": {"dtype": "F64", "shape": [2**26], "data_offsets": [0, 2**29]}}).encode()
    (tmp_path / "claims.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(64))
    labels = b"\0\0\x08\x01" + struct.pack(">I", 100) + bytes(100)  # 100 labels, then 512 MiB more
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    (tmp_path / "idx.gz").write_bytes(gzip_header + deflated_zeros(labels, 512) + bytes(8))
    names = [str(tmp_path / n) for n in ("bomb.npz", "claims.safetensors", "idx.gz")]
    run = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, *names], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert "compression bomb" in results[names[0]], results
    assert "outside the 64 data bytes" in results[names[1]], results
    assert "trailing" in results[names[2]] and names[2] in results[names[2]], results


