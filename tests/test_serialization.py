"""Checkpoints: round trips of nested state, no pickle, atomic writes, exact resume of training."""
import errno
import json
import math
import os
import pickle
import resource
import signal
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.optim as optim
from tinygrad_edu import serialization
from tinygrad_edu.data import DataLoader, TensorDataset, datasets


def assert_same(loaded, original, where="obj"):
    """Equal values AND equal types (tuple stays tuple, OrderedDict stays OrderedDict, bool stays bool)."""
    if isinstance(original, tg.Tensor):
        original = original.data
    if isinstance(original, np.ndarray):
        assert isinstance(loaded, np.ndarray), where
        assert loaded.dtype == original.dtype and loaded.shape == original.shape, where
        np.testing.assert_array_equal(loaded, original, err_msg=where)
        return
    assert type(loaded) is type(original), f"{where}: {type(loaded)} vs {type(original)}"
    if isinstance(original, dict):
        assert list(loaded) == list(original), where
        for key in original:
            assert_same(loaded[key], original[key], f"{where}[{key!r}]")
    elif isinstance(original, list | tuple):
        assert len(loaded) == len(original), where
        for i, (a, b) in enumerate(zip(loaded, original)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(original, float) and math.isnan(original):
        assert math.isnan(loaded), where
    else:
        assert loaded == original, where


array_dtypes = st.sampled_from([np.float32, np.float64, np.int64, np.int8, np.uint8, np.bool_, np.complex64])
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    hnp.arrays(array_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
    hnp.from_dtype(np.dtype(np.float32)).map(np.float32),
    hnp.from_dtype(np.dtype(np.float64)).map(np.float64),
    st.integers(-100, 100).map(np.int64),
)
keys = st.one_of(st.text(max_size=6), st.integers(-5, 5))
nested = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(keys, children, max_size=4),
        st.dictionaries(keys, children, max_size=4).map(OrderedDict),
    ),
    max_leaves=12,
)


@given(nested)
def test_round_trip_of_nested_structures(tmp_path_factory, obj):
    path = tmp_path_factory.mktemp("ckpt") / "state.ckpt"
    tg.save(obj, path)
    assert_same(tg.load(path), obj)


def test_numpy_scalars_stay_scalars_and_tensors_become_arrays(tmp_path):
    weight = tg.randn(3, 2, requires_grad=True)
    obj = {"w": weight, "step": np.int64(7), "lr": np.float32(0.5), "ints": np.arange(3), "f64": np.float64(0.25)}
    tg.save(obj, tmp_path / "c")
    loaded = tg.load(tmp_path / "c")
    assert isinstance(loaded["step"], np.int64) and loaded["step"] == 7
    assert isinstance(loaded["lr"], np.float32) and loaded["lr"] == np.float32(0.5)
    assert type(loaded["f64"]) is np.float64 and loaded["f64"] == 0.25
    assert isinstance(loaded["w"], np.ndarray) and loaded["w"].dtype == np.float32
    np.testing.assert_array_equal(loaded["w"], weight.data)


def test_a_path_ending_in_npz_is_a_plain_npz_at_exactly_the_given_path(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"epoch": 3, "weights": [np.ones(2)]}, path)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["__structure__", "a0"]
        document = json.loads(str(archive["__structure__"]))
    assert document["format"] == "tinygrad_edu.checkpoint"
    assert document["root"]["items"][0] == ["str", "epoch", {"type": "int", "value": 3}]


def test_any_other_path_is_a_safetensors_file_at_exactly_that_path(tmp_path):
    path = tmp_path / "model.pt"
    tg.save({"epoch": 3, "weights": [np.ones(2)]}, path)
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert header["weights.0"] == {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}
    document = json.loads(header["__metadata__"]["tinygrad_edu"])
    assert document["root"]["items"][0] == ["str", "epoch", {"type": "int", "value": 3}]


@pytest.mark.parametrize("obj, where, what", [
    ({"a": [1, {2, 3}]}, r"obj\['a'\]\[1\]", "set"),
    ({"opt": {"fn": lambda x: x}}, r"obj\['opt'\]\['fn'\]", "function"),
    ([np.array([object()], dtype=object)], r"obj\[0\]", "dtype object"),
    ({"x": 1 + 2j}, r"obj\['x'\]", "complex"),
    ({(1, 2): 3}, r"obj", "tuple key"),
    ({True: 3}, r"obj", "bool key"),
])
def test_unsupported_values_raise_type_error_naming_the_key_path(tmp_path, obj, where, what):
    with pytest.raises(TypeError, match=where) as info:
        tg.save(obj, tmp_path / "c")
    assert what.split()[0] in str(info.value)
    assert not (tmp_path / "c").exists() and os.listdir(tmp_path) == []


def test_circular_structures_are_refused(tmp_path):
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match=r"obj\['a'\]\[0\] contains itself"):
        tg.save(loop, tmp_path / "c")
    shared = [1]
    tg.save({"x": shared, "y": shared}, tmp_path / "ok")  # sharing is not a cycle
    assert tg.load(tmp_path / "ok") == {"x": [1], "y": [1]}


class Exploit:
    """Unpickling this would create a marker file: proof that code ran."""

    marker = None

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickle_bearing_file_is_refused_without_running_code(tmp_path):
    Exploit.marker = tmp_path / "pwned"
    crafted = tmp_path / "crafted.npz"
    structure = {"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"type": "array", "key": "a0"}}
    np.savez(crafted, __structure__=np.array(json.dumps(structure)), a0=np.array([Exploit()], dtype=object))
    with pytest.raises(ValueError, match="needs pickle; refused to load it"):
        tg.load(crafted)
    plain_pickle = tmp_path / "plain.pkl"
    plain_pickle.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ValueError, match="refused to load"):
        tg.load(plain_pickle)
    assert not Exploit.marker.exists()


def test_other_files_are_not_mistaken_for_checkpoints(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.ones(2))  # an .npz, but not a checkpoint
    with pytest.raises(ValueError, match="no __structure__ member"):
        tg.load(tmp_path / "other.npz")
    np.save(tmp_path / "single.npy", np.ones(2))
    with pytest.raises(ValueError, match="single .npy array"):
        tg.load(tmp_path / "single.npy")
    bad = {"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"type": "array", "key": "a7"}}
    np.savez(tmp_path / "dangling.npz", __structure__=np.array(json.dumps(bad)))
    with pytest.raises(ValueError, match="refers to an array 'a7'"):
        tg.load(tmp_path / "dangling.npz")
    future = {"format": "tinygrad_edu.checkpoint", "version": 99, "root": {"type": "none"}}
    np.savez(tmp_path / "future.npz", __structure__=np.array(json.dumps(future)))
    with pytest.raises(ValueError, match="version 99"):
        tg.load(tmp_path / "future.npz")


@pytest.fixture
def previous_checkpoint(tmp_path):
    path = tmp_path / "last.ckpt"
    tg.save({"epoch": 1, "w": np.arange(1000.0)}, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("name", ["last.ckpt", "last.npz"])
def test_a_full_disk_midway_through_the_write_keeps_the_previous_checkpoint(tmp_path, name):
    path = tmp_path / name
    tg.save({"epoch": 1, "w": np.arange(1000.0)}, path)
    before = path.read_bytes()
    # a real short write: files of this process may not grow past 4 KiB (EFBIG instead of SIGXFSZ)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(OSError) as info:
            tg.save({"epoch": 2, "w": np.zeros(1000), "b": np.ones(3)}, path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert info.value.errno == errno.EFBIG
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]
    assert tg.load(path)["epoch"] == 1


def test_failure_at_the_rename_keeps_the_previous_checkpoint(previous_checkpoint, monkeypatch):
    path, before = previous_checkpoint

    def no_rename(source, target):
        raise OSError("rename interrupted")

    monkeypatch.setattr(serialization.os, "replace", no_rename)
    with pytest.raises(OSError, match="rename interrupted"):
        tg.save({"epoch": 2}, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_a_successful_save_replaces_the_file_whole(previous_checkpoint):
    path, before = previous_checkpoint
    tg.save({"epoch": 2, "w": np.zeros(5)}, path)
    assert path.read_bytes() != before and tg.load(path)["epoch"] == 2
    assert os.listdir(path.parent) == [path.name]


def make_training(seed):
    tg.manual_seed(seed)
    x, t = datasets.spiral(points_per_class=32, num_classes=3, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    loader = DataLoader(TensorDataset(x, t), batch_size=16, shuffle=True)
    return model, opt, scheduler, loader


def run_epoch(model, opt, scheduler, loader):
    losses = []
    for xb, yb in loader:
        loss = tg.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    scheduler.step()
    return losses


def test_resuming_from_a_checkpoint_continues_the_exact_trajectory(tmp_path):
    model, opt, scheduler, loader = make_training(seed=0)
    run_epoch(model, opt, scheduler, loader)
    checkpoint = {"epoch": 1, "model": model.state_dict(), "optimizer": opt.state_dict(),
                  "scheduler": scheduler.state_dict(), "rng": tg.random.generator().bit_generator.state}
    tg.save(checkpoint, tmp_path / "epoch1.ckpt")
    uninterrupted = [run_epoch(model, opt, scheduler, loader) for _ in range(2)]
    final = model.state_dict()

    model2, opt2, scheduler2, loader2 = make_training(seed=99)  # different initial weights
    assert not np.array_equal(model2.state_dict()["0.weight"], checkpoint["model"]["0.weight"])
    restored = tg.load(tmp_path / "epoch1.ckpt")
    model2.load_state_dict(restored["model"])
    opt2.load_state_dict(restored["optimizer"])
    scheduler2.load_state_dict(restored["scheduler"])
    tg.random.generator().bit_generator.state = restored["rng"]  # dropout masks and shuffling continue
    resumed = [run_epoch(model2, opt2, scheduler2, loader2) for _ in range(restored["epoch"], 3)]

    assert resumed == uninterrupted  # bit-for-bit the same losses
    for key, value in final.items():
        np.testing.assert_array_equal(model2.state_dict()[key], value, err_msg=key)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == pytest.approx(0.01 * 0.5**3)
