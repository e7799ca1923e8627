"""Checkpoints in the safetensors format: byte for byte as the official package, and through PyTorch."""
import json
import struct

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.optim as optim
from tinygrad_edu.serialization import CheckpointError
from tinygrad_edu.serialization import safetensors as st_format

official = pytest.importorskip("safetensors.numpy")

DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8, np.uint16,
          np.uint32, np.uint64, np.bool_, np.complex64]
tensor_dicts = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.sampled_from(DTYPES).flatmap(lambda dtype: hnp.arrays(
        dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))),
    max_size=6)


@given(tensor_dicts, st.one_of(st.none(), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=1)))
def test_files_are_byte_for_byte_those_of_the_official_package(tmp_path_factory, tensors, metadata):
    assume(tensors or metadata != {})  # the official writer emits invalid JSON for that one case
    folder = tmp_path_factory.mktemp("st")
    st_format.save_file(tensors, folder / "ours.safetensors", metadata=metadata)
    official.save_file(tensors, str(folder / "theirs.safetensors"), metadata=metadata)
    assert (folder / "ours.safetensors").read_bytes() == (folder / "theirs.safetensors").read_bytes()
    loaded = st_format.load_file(folder / "theirs.safetensors")
    assert list(loaded) == sorted(tensors)
    for name, array in tensors.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)


def test_metadata_with_several_keys_gives_the_same_header_and_data(tmp_path):
    # the official writer orders metadata by a hash map, so only the parsed header can be compared
    tensors, metadata = {"w": np.arange(6.0).reshape(2, 3)}, {"format": "np", "b": "2", "é": "\""}
    st_format.save_file(tensors, tmp_path / "ours", metadata=metadata)
    official.save_file(tensors, str(tmp_path / "theirs"), metadata=metadata)
    ours, theirs = (tmp_path / "ours").read_bytes(), (tmp_path / "theirs").read_bytes()
    assert len(ours) == len(theirs) and ours[-48:] == theirs[-48:]
    size = struct.unpack("<Q", ours[:8])[0]
    assert json.loads(ours[8:8 + size]) == json.loads(theirs[8:8 + size])


def checkpoint(model, opt):
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "best": 0.25, "note": None,
            "history": [1.5, (2, "x")], "huge": -(10**5000) - 7}


def trained_net():
    tg.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    loss = tg.functional.cross_entropy(model(tg.randn(5, 4)), tg.tensor([0, 1, 2, 0, 1]))
    loss.backward()
    opt.step()
    return model, opt


def test_a_nested_checkpoint_is_one_safetensors_file_with_its_structure_in_the_metadata(tmp_path):
    model, opt = trained_net()
    path = tmp_path / "run.safetensors"
    tg.save(checkpoint(model, opt), path)
    tensors = official.load_file(str(path))
    assert "model.0.weight" in tensors and "optimizer.state.0.exp_avg" in tensors
    np.testing.assert_array_equal(tensors["model.3.bias"], model.state_dict()["3.bias"])
    loaded = tg.load(path)
    assert loaded["epoch"] == 3 and loaded["best"] == 0.25 and loaded["note"] is None
    assert loaded["history"] == [1.5, (2, "x")] and loaded["huge"] == -(10**5000) - 7
    fresh_model, fresh_opt = trained_net()
    fresh_model.load_state_dict(loaded["model"])
    fresh_opt.load_state_dict(loaded["optimizer"])
    assert fresh_opt.state_dict()["state"][0]["step"] == 1


def test_a_plain_state_dict_is_exactly_what_the_official_package_writes_with_the_same_metadata(tmp_path):
    model, _ = trained_net()
    tg.save(model.state_dict(), tmp_path / "ours")
    raw = (tmp_path / "ours").read_bytes()
    metadata = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])["__metadata__"]
    expected = official.save(model.state_dict(), metadata=metadata)
    assert raw == expected


def test_a_file_from_pytorch_loads_as_a_dict_of_arrays(tmp_path):
    official.save_file({"b": np.ones(2, np.float32), "a": np.arange(3)}, str(tmp_path / "plain"),
                       metadata={"format": "pt"})
    loaded = tg.load(tmp_path / "plain")
    assert list(loaded) == ["a", "b"]
    np.testing.assert_array_equal(loaded["a"], np.arange(3))


def test_unsupported_dtypes_raise_type_error_naming_the_place_and_leave_no_file(tmp_path):
    with pytest.raises(TypeError, match=r"'w' has dtype <U3.*\.npz"):
        tg.save({"w": np.array(["abc"])}, tmp_path / "c")
    with pytest.raises(TypeError, match="complex128"):
        tg.save([np.zeros(2, np.complex128)], tmp_path / "c")
    assert list(tmp_path.iterdir()) == []
    tg.save({"w": np.array(["abc"])}, tmp_path / "c.npz")  # the .npz format stores strings
    assert tg.load(tmp_path / "c.npz")["w"][0] == "abc"


def test_bf16_from_pytorch_is_named_as_unsupported(tmp_path):
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    (tmp_path / "bf16").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    with pytest.raises(CheckpointError, match="'BF16' \\(not supported by NumPy"):
        tg.load(tmp_path / "bf16")


def torch_net(torch):
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


def test_a_state_dict_saved_here_loads_into_pytorch_and_back(tmp_path):
    torch = pytest.importorskip("torch")
    storch = pytest.importorskip("safetensors.torch")
    model, _ = trained_net()
    model.eval()
    tg.save(model.state_dict(), tmp_path / "model.safetensors")
    net = torch_net(torch)
    net.load_state_dict(storch.load_file(str(tmp_path / "model.safetensors")), strict=True)
    net.eval()
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(net(torch.from_numpy(x)).detach().numpy(), model(tg.tensor(x)).data, rtol=1e-5,
                               atol=1e-6)

    with torch.no_grad():  # now PyTorch changes the weights and saves; tinygrad_edu loads them
        for parameter in net.parameters():
            parameter.mul_(-0.5)
    storch.save_file(net.state_dict(), str(tmp_path / "from_torch.safetensors"))
    model.load_state_dict(tg.load(tmp_path / "from_torch.safetensors"))
    np.testing.assert_allclose(model(tg.tensor(x)).data, net(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
