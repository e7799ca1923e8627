"""IDX reading and writing: round trips (raw and gzip) and clear errors for malformed files."""
import gzip
import os
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu.data import read_idx, write_idx
from tinygrad_edu.data import idx as idx_module
from tinygrad_edu.data.idx import idx_bytes, parse_idx
from tinygrad_edu.data.mnist import read_split

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", IDX_DTYPES)
def test_round_trip_raw_and_gzip(tmp_path, suffix, dtype):
    array = (np.arange(2 * 3 * 4) * 7 - 20).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / f"sample-idx3-ubyte{suffix}"
    write_idx(path, array)
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)
    assert loaded.flags.writeable


@given(hnp.arrays(st.sampled_from(IDX_DTYPES), hnp.array_shapes(min_dims=1, max_dims=4, max_side=5)))
def test_encode_decode_round_trip_property(array):
    decoded = parse_idx(idx_bytes(array))
    assert decoded.shape == array.shape and decoded.dtype == array.dtype
    np.testing.assert_array_equal(decoded, array)


def test_header_layout_matches_the_published_format():
    # magic 0x00000803 (uint8, 3 dims) then big-endian sizes, as in train-images-idx3-ubyte
    raw = idx_bytes(np.zeros((2, 28, 28), dtype=np.uint8))
    assert raw[:4] == bytes([0, 0, 0x08, 3])
    assert raw[4:16] == (2).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
    assert len(raw) == 16 + 2 * 28 * 28
    labels = idx_bytes(np.array([7, 2, 1], dtype=np.uint8))
    assert labels == bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])


def test_multibyte_values_are_big_endian_on_disk():
    raw = idx_bytes(np.array([1, 256], dtype=np.int32))
    assert raw[8:] == bytes([0, 0, 0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(parse_idx(raw), [1, 256])


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    path = tmp_path / "labels-no-suffix"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(path), array)


@pytest.mark.parametrize("raw, message", [
    (b"\x00\x00", "too short"),
    (b"\x01\x02\x08\x01\x00\x00\x00\x01\x05", "not an IDX file"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX dtype code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "truncated data"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "trailing bytes"),
])
def test_malformed_files_raise_value_error_naming_the_problem(tmp_path, raw, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_and_corrupt_gzip_are_value_errors(tmp_path):
    compressed = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(cut)
    flipped = bytearray(compressed)
    flipped[len(flipped) // 2] ^= 0xFF
    corrupt = tmp_path / "corrupt.gz"
    corrupt.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="gzip|truncated|trailing"):
        read_idx(corrupt)


def test_write_refuses_unsupported_dtypes_and_0d(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "x", np.arange(3, dtype=np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "x", np.array(3, dtype=np.uint8))


def test_sizes_are_python_ints_so_huge_shapes_are_truncated_not_overflowed(tmp_path):
    path = tmp_path / "huge-idx4-ubyte"
    path.write_bytes(b"\0\0\x08\x04" + b"\xff\xff\xff\xff" * 4 + bytes(10))
    needed = (2**32 - 1) ** 4
    with pytest.raises(ValueError, match=f"huge-idx4-ubyte: truncated data: shape .* needs {needed} bytes .*found 10"):
        read_idx(path)


def test_gzip_is_inflated_no_further_than_the_header_size_plus_one_byte(tmp_path, monkeypatch):
    labels = np.arange(100, dtype=np.uint8)
    path = tmp_path / "long-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(labels) + bytes(4 * 2**20)))
    inflated = []

    class CountingGzipFile(gzip.GzipFile):
        def read(self, size=-1):
            assert size >= 0, "an unbounded read"
            data = super().read(size)
            inflated.append(len(data))
            return data

    monkeypatch.setattr(idx_module.gzip, "GzipFile", CountingGzipFile)
    with pytest.raises(ValueError, match="long-idx1-ubyte.gz: unexpected trailing bytes after the data of shape"):
        read_idx(path)
    assert sum(inflated) == 8 + 100 + 1


def test_a_gzip_file_cannot_claim_more_than_deflate_can_hold(tmp_path):
    path = tmp_path / "claims-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(b"\0\0\x08\x03" + struct.pack(">III", 60000, 2800, 2800)))
    with pytest.raises(ValueError, match=r"needs 470400000000 bytes .*more than this \d+-byte gzip file can hold"):
        read_idx(path)


def test_labels_outside_the_classes_are_refused_naming_the_file_and_index(tmp_path):
    write_idx(tmp_path / "images-idx3-ubyte", np.zeros((3, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "labels-idx1-ubyte", np.array([1, 10, 12], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte: label 10 at index 1 is outside the 10 classes 0\.\.9"):
        read_split(tmp_path / "images-idx3-ubyte", tmp_path / "labels-idx1-ubyte")


def test_files_that_are_not_regular_are_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="pipe: refused to read a named pipe as an IDX file"):
        read_idx(tmp_path / "pipe")  # a blocking open would hang here forever
    with pytest.raises(ValueError, match="refused to read a directory"):
        read_idx(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")


REAL_IDX = idx_bytes((np.arange(2 * 5 * 3) % 251).astype(np.uint8).reshape(2, 5, 3))
REAL_FILES = {"raw-idx3-ubyte": REAL_IDX, "gz-idx3-ubyte.gz": gzip.compress(REAL_IDX, mtime=0)}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
@given(kind=st.sampled_from(["truncate", "flip", "insert"]), position=st.integers(0, 10**4),
       mask=st.integers(1, 255), inserted=st.binary(min_size=1, max_size=4))
def test_mutated_idx_files_load_or_raise_value_error_naming_the_file(tmp_path_factory, name, kind, position, mask,
                                                                    inserted):
    raw = REAL_FILES[name]
    position %= len(raw)
    mutated = {"truncate": raw[:position], "flip": raw[:position] + bytes([raw[position] ^ mask]) + raw[position + 1:],
               "insert": raw[:position] + inserted + raw[position:]}[kind]
    path = tmp_path_factory.mktemp("idx") / name
    path.write_bytes(mutated)
    try:
        read_idx(path)
    except ValueError as error:
        assert str(path) in str(error)
