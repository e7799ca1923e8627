"""Datasets, DataLoader, synthetic sets, where MNIST files are looked for, embedded subset, load_mnist."""
import dataclasses
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import (DataLoader, Dataset, DatasetFallbackWarning, TensorDataset, datasets, load_mnist,
                               write_idx)
from tinygrad_edu.data import embedded, sources

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
needs_full_fashion = pytest.mark.skipif(not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").exists(),
                                        reason="dataset-fashion-mnist is not installed")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No data-location variables from the caller's shell; the cache lives in a temp dir."""
    for name in ("TINYGRAD_EDU_DATA", "TINYGRAD_EDU_MNIST", "TINYGRAD_EDU_FASHION_MNIST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path


def write_fake_split(directory: Path, count: int, train: bool = True, gz: bool = True, offset: int = 0) -> None:
    """A tiny MNIST-format split whose pixel (0, 0) of image i is offset + i, label i % 10."""
    directory.mkdir(parents=True, exist_ok=True)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = (offset + np.arange(count)) % 256
    images[:, 27, 27] = 255
    labels = (np.arange(count) % 10).astype(np.uint8)
    prefix = "train" if train else "t10k"
    suffix = ".gz" if gz else ""
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)


# ----- TensorDataset

def test_tensor_dataset_items_and_vectorised_batches():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    t = np.arange(6) * 10
    data = TensorDataset(tg.tensor(x), t)
    assert len(data) == 6
    xi, ti = data[-1]
    np.testing.assert_array_equal(xi.numpy(), [10.0, 11.0])
    assert ti.item() == 50 and ti.dtype == np.int64
    xb, tb = data.__getitems__([4, 0, 4])
    np.testing.assert_array_equal(xb.numpy(), x[[4, 0, 4]])
    np.testing.assert_array_equal(tb.numpy(), [40, 0, 40])


def test_tensor_dataset_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(3, 2\), \(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.float32(1.0))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(IndexError, match="index 3 is out of range for a dataset of 3"):
        TensorDataset(np.zeros(3))[3]
    with pytest.raises(IndexError, match="integers"):
        TensorDataset(np.zeros(3)).__getitems__(np.array([0.5]))


# ----- DataLoader

def test_unshuffled_batches_cover_the_data_in_order_with_a_short_last_batch():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    t = np.arange(10)
    loader = DataLoader(TensorDataset(x, t), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    assert all(isinstance(b, tuple) and isinstance(b[1], tg.Tensor) for b in batches)


def test_drop_last_drops_only_the_short_batch():
    data = TensorDataset(np.arange(10))
    assert len(DataLoader(data, batch_size=4, drop_last=True)) == 2
    assert [b[0].shape[0] for b in DataLoader(data, batch_size=4, drop_last=True)] == [4, 4]
    assert len(DataLoader(data, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(data, batch_size=11, drop_last=True)) == 0
    assert len(DataLoader(data, batch_size=11)) == 1
    assert list(DataLoader(TensorDataset(np.zeros((0, 3))), batch_size=2)) == []


@given(size=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(), seed=st.integers(0, 2**32))
def test_each_shuffled_epoch_visits_every_sample_once(size, batch_size, drop_last, seed):
    tg.manual_seed(seed)
    loader = DataLoader(TensorDataset(np.arange(size)), batch_size=batch_size, shuffle=True, drop_last=drop_last)
    for _ in range(2):
        seen = np.concatenate([b[0].numpy() for b in loader] or [np.zeros(0, dtype=np.int64)])
        assert len(np.unique(seen)) == len(seen)
        expected = size - size % batch_size if drop_last else size
        assert len(seen) == expected
        if not drop_last:
            np.testing.assert_array_equal(np.sort(seen), np.arange(size))


def epoch_orders(loader, epochs=2):
    return [np.concatenate([b[0].numpy() for b in loader]) for _ in range(epochs)]


def test_shuffle_is_reproducible_under_manual_seed_and_differs_between_epochs():
    data = TensorDataset(np.arange(50))
    tg.manual_seed(7)
    first = epoch_orders(DataLoader(data, batch_size=8, shuffle=True))
    tg.manual_seed(7)
    again = epoch_orders(DataLoader(data, batch_size=8, shuffle=True))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], np.arange(50))
    # the order is the permutation the library generator draws
    np.testing.assert_array_equal(first[0], np.random.default_rng(7).permutation(50))


def test_seeded_loader_has_its_own_generator():
    data = TensorDataset(np.arange(30))
    tg.manual_seed(1)
    one = epoch_orders(DataLoader(data, batch_size=4, shuffle=True, seed=3))
    library_draw_after = tg.rand(1).item()
    tg.manual_seed(2)
    two = epoch_orders(DataLoader(data, batch_size=4, shuffle=True, seed=3))
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    assert not np.array_equal(one[0], one[1])
    tg.manual_seed(1)
    assert tg.rand(1).item() == library_draw_after  # the seeded loader did not consume library draws


class CountingItems(Dataset):
    """Per-sample dataset (no __getitems__): returns (array, python int, python float)."""

    def __init__(self, size):
        self.size, self.calls = size, 0

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        self.calls += 1
        return np.full(3, index, dtype=np.float64), index, float(index) / 2


class CountingBatches(CountingItems):
    def __getitems__(self, indices):
        self.calls += 1
        indices = np.asarray(indices)
        return np.repeat(indices[:, None], 3, axis=1).astype(np.float64), indices


def test_per_item_datasets_are_stacked_with_tensor_dtype_rules():
    data = CountingItems(5)
    x, i, half = next(iter(DataLoader(data, batch_size=3)))
    assert data.calls == 3
    assert x.shape == (3, 3) and x.dtype == np.float64
    assert i.dtype == np.int64 and half.dtype == np.float32
    np.testing.assert_array_equal(i.numpy(), [0, 1, 2])
    np.testing.assert_allclose(half.numpy(), [0.0, 0.5, 1.0])


def test_getitems_makes_one_call_per_batch():
    data = CountingBatches(10)
    batches = list(DataLoader(data, batch_size=4, shuffle=True))
    assert data.calls == 3
    np.testing.assert_array_equal(np.sort(np.concatenate([b[1].numpy() for b in batches])), np.arange(10))
    np.testing.assert_array_equal(batches[0][0].numpy()[:, 0], batches[0][1].numpy())


def test_dict_and_single_value_samples():
    class Dicts(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return {"x": np.ones(2) * index, "y": index}

    batch = next(iter(DataLoader(Dicts(), batch_size=4)))
    np.testing.assert_array_equal(batch["y"].numpy(), [0, 1, 2, 3])
    assert batch["x"].shape == (4, 2)
    singles = next(iter(DataLoader([np.zeros(2), np.ones(2)], batch_size=2)))
    assert isinstance(singles, tg.Tensor) and singles.shape == (2, 2)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer, got 0"),
    ({"batch_size": -2}, ValueError, "got -2"),
    ({"batch_size": 2.5}, ValueError, "got 2.5"),
    ({"batch_size": True}, ValueError, "got True"),
    ({"shuffle": "yes"}, TypeError, "shuffle must be True or False"),
    ({"drop_last": 1}, TypeError, "drop_last must be True or False"),
    ({"seed": -1}, ValueError, "seed must be None or a non-negative integer"),
])
def test_loader_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(TensorDataset(np.arange(3)), **kwargs)


def test_loader_refuses_objects_that_are_not_datasets():
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(iter(range(3)))


# ----- synthetic

def test_spiral_shapes_labels_and_geometry():
    x, t = datasets.spiral(points_per_class=50, num_classes=4, seed=0)
    assert x.shape == (200, 2) and x.dtype == np.float32 and t.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(t), [50] * 4)
    # the radius of arm k's points is linspace(0, 1), whatever the angle noise
    for arm in range(4):
        np.testing.assert_allclose(np.hypot(*x[t == arm].T), np.linspace(0, 1, 50), atol=1e-6)
    clean, _ = datasets.spiral(points_per_class=5, num_classes=3, seed=0, noise=0.0)
    angle = np.linspace(4.0, 8.0, 5)[-1]
    np.testing.assert_allclose(clean[9], [np.sin(angle), np.cos(angle)], atol=1e-6)


def test_spiral_randomness_follows_seed_and_manual_seed():
    np.testing.assert_array_equal(datasets.spiral(seed=5)[0], datasets.spiral(seed=5)[0])
    assert not np.array_equal(datasets.spiral(seed=5)[0], datasets.spiral(seed=6)[0])
    tg.manual_seed(3)
    first = datasets.spiral()[0]
    tg.manual_seed(3)
    np.testing.assert_array_equal(first, datasets.spiral()[0])
    with pytest.raises(ValueError, match="points_per_class must be a positive integer, got 0"):
        datasets.spiral(points_per_class=0)


def test_quadratic_bowl_value_and_autograd_gradient():
    assert datasets.quadratic_bowl(-7.0, 2.0) == pytest.approx(49 / 20 + 4)
    x = tg.tensor(-7.0, requires_grad=True)
    y = tg.tensor(2.0, requires_grad=True)
    datasets.quadratic_bowl(x, y).backward()
    gx, gy = datasets.quadratic_bowl_grad(-7.0, 2.0)
    assert x.grad.item() == pytest.approx(gx) == pytest.approx(-0.7)
    assert y.grad.item() == pytest.approx(gy) == pytest.approx(4.0)


# ----- where MNIST-format files are looked for

def looked_in(message: str) -> list[str]:
    lines = message.split("Looked in:\n")[1].split("\nTo get them:")[0].splitlines()
    return [line.strip().rsplit("  (", 1)[0] for line in lines]


def test_search_order_env_vars_then_data_root_then_cache(clean_env, monkeypatch):
    spec = sources.MNIST
    specific, shared, cache = clean_env / "specific", clean_env / "shared", clean_env / "xdg-cache"
    monkeypatch.setenv("TINYGRAD_EDU_MNIST", str(specific))
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(shared))
    assert [d for d, _ in sources.search_dirs(spec, None)] == [specific, shared / "mnist", cache / "tinygrad_edu/mnist"]
    write_fake_split(cache / "tinygrad_edu/mnist", 3)
    assert sources.find_split(spec, True)[0].parent == cache / "tinygrad_edu/mnist"
    write_fake_split(shared / "mnist", 4, gz=False)
    assert sources.find_split(spec, True)[0] == shared / "mnist/train-images-idx3-ubyte"
    write_fake_split(specific, 5)
    assert len(datasets.MNIST()) == 5
    assert sources.find_split(spec, False) is None  # a split is found only where both of its files are


def test_root_argument_is_the_only_place_searched_when_given(clean_env):
    write_fake_split(clean_env / "xdg-cache/tinygrad_edu/mnist", 3)
    write_fake_split(clean_env / "mine", 7, train=False)
    assert len(datasets.MNIST(root=clean_env / "mine", train=False)) == 7
    with pytest.raises(FileNotFoundError) as info:
        datasets.MNIST(root=clean_env / "mine", train=True)
    assert looked_in(str(info.value)) == [str(clean_env / "mine")]


def test_cache_defaults_to_home_dot_cache_without_xdg(clean_env, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(clean_env / "home"))
    assert sources.cache_dir(sources.FASHION_MNIST) == clean_env / "home/.cache/tinygrad_edu/fashion-mnist"


def test_missing_mnist_error_lists_exactly_the_paths_and_how_to_get_them(clean_env, monkeypatch):
    monkeypatch.setenv("TINYGRAD_EDU_MNIST", str(clean_env / "nowhere"))
    with pytest.raises(FileNotFoundError) as info:
        datasets.MNIST(train=False)
    message = str(info.value)
    assert looked_in(message) == [str(clean_env / "nowhere"), str(clean_env / "xdg-cache/tinygrad_edu/mnist")]
    assert "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz" in message
    assert "download=True" in message and "TINYGRAD_EDU_MNIST" in message and 'dataset="embedded"' in message
    assert "apt-get" not in message  # no distribution package ships MNIST


def test_missing_fashion_error_mentions_the_debian_package(clean_env, monkeypatch):
    spec = dataclasses.replace(sources.FASHION_MNIST, system_dir=str(clean_env / "debian"))
    monkeypatch.setattr(datasets.FashionMNIST, "spec", spec)
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(clean_env / "data"))
    with pytest.raises(FileNotFoundError) as info:
        datasets.FashionMNIST()
    assert looked_in(str(info.value)) == [str(clean_env / "data/fashion-mnist"),
                                          str(clean_env / "xdg-cache/tinygrad_edu/fashion-mnist"),
                                          str(clean_env / "debian")]
    assert "apt-get install dataset-fashion-mnist" in str(info.value)
    write_fake_split(clean_env / "debian", 6)
    assert len(datasets.FashionMNIST()) == 6


def test_mnist_dataset_samples_and_batches(clean_env):
    write_fake_split(clean_env / "d", 12)
    data = datasets.MNIST(root=clean_env / "d")
    image, label = data[3]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    assert image.numpy()[0, 0, 0] == pytest.approx(3 / 255) and image.numpy()[0, 27, 27] == 1.0
    assert label.item() == 3 and label.dtype == np.int64
    x, t = next(iter(DataLoader(datasets.MNIST(root=clean_env / "d", flatten=True), batch_size=5)))
    assert x.shape == (5, 784)
    np.testing.assert_allclose(x.numpy()[:, 0], np.arange(5) / 255, rtol=1e-6)
    np.testing.assert_array_equal(t.numpy(), np.arange(5))
    assert data.data.dtype == np.uint8 and not data.data.flags.writeable
    assert "from " + str(clean_env / "d") in data.source


def test_mismatched_image_and_label_files_are_refused(clean_env):
    write_fake_split(clean_env / "d", 12)
    write_idx(clean_env / "d/train-labels-idx1-ubyte.gz", np.zeros(11, dtype=np.uint8))
    with pytest.raises(ValueError, match="expected 12 uint8 labels"):
        datasets.MNIST(root=clean_env / "d")


# ----- the embedded subset

def test_embedded_subset_shapes_balance_and_checksum():
    manifest = datasets.embedded_manifest()
    payload = embedded.ARCHIVE.read_bytes()
    assert hashlib.sha256(payload).hexdigest() == manifest["sha256"] and len(payload) == manifest["bytes"]
    assert len(payload) < 4_000_000
    arrays = embedded.load()
    assert arrays["train_images"].shape == (5000, 28, 28) and arrays["test_images"].shape == (1000, 28, 28)
    assert arrays["train_images"].dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(arrays["train_labels"]), [500] * 10)
    np.testing.assert_array_equal(np.bincount(arrays["test_labels"]), [100] * 10)
    assert np.all(np.diff(arrays["train_indices"]) > 0)  # file order, no duplicates
    train = datasets.EmbeddedFashionMNIST()
    assert len(train) == 5000 and train.classes[9] == "Ankle boot"
    assert "Zalando SE" in manifest["licence_text"] and "MIT" in manifest["licence_text"]


def test_embedded_archive_members_are_reproducible_from_its_arrays():
    """build.py writes each array as a .npy member with a fixed date: compare sizes and CRC-32s
    (cheap; recompressing 4.7 MB just to compare bytes would cost seconds and depend on the zlib build)."""
    import io
    import zipfile
    import zlib

    from tinygrad_edu.data.embedded.build import deterministic_npz
    arrays = embedded.load()
    with zipfile.ZipFile(embedded.ARCHIVE) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == [f"{key}.npy" for key in embedded.KEYS]
    for info, key in zip(infos, embedded.KEYS):
        member = io.BytesIO()
        np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]), allow_pickle=False)
        assert (info.file_size, info.CRC) == (len(member.getvalue()), zlib.crc32(member.getvalue())), key
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
    small = {key: arrays[key][:3] for key in embedded.KEYS}
    assert deterministic_npz(small) == deterministic_npz(small)


def test_a_tampered_embedded_archive_is_refused(monkeypatch, tmp_path):
    tampered = tmp_path / "subset.npz"
    payload = bytearray(embedded.ARCHIVE.read_bytes())
    payload[-100] ^= 1
    tampered.write_bytes(bytes(payload))
    monkeypatch.setattr(embedded, "ARCHIVE", tampered)
    embedded.load.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="damaged or was changed"):
            embedded.load()
    finally:
        embedded.load.cache_clear()


@needs_full_fashion
def test_embedded_subset_is_the_first_images_of_each_class_of_the_full_files():
    arrays = embedded.load()
    full = datasets.FashionMNIST(root=DEBIAN_DIR)
    np.testing.assert_array_equal(full.data[arrays["train_indices"]], arrays["train_images"])
    labels = full.targets
    for label in range(10):
        np.testing.assert_array_equal(arrays["train_indices"][arrays["train_labels"] == label],
                                      np.flatnonzero(labels == label)[:500])


# ----- load_mnist in the book's shapes

def test_load_mnist_book_shapes_and_normalisation():
    (x, t), (xt, tt) = load_mnist(dataset="embedded")
    assert x.shape == (5000, 784) and xt.shape == (1000, 784) and x.dtype == np.float32
    assert t.shape == (5000,) and t.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    (raw, _), _ = load_mnist(normalize=False, flatten=False, dataset="embedded")
    assert raw.shape == (5000, 1, 28, 28) and raw.dtype == np.uint8 and raw.max() == 255
    np.testing.assert_array_equal(raw[::50].reshape(100, 784).astype(np.float32) / np.float32(255), x[::50])
    (_, onehot), _ = load_mnist(one_hot_label=True, dataset="embedded")
    assert onehot.shape == (5000, 10) and onehot.dtype == np.float32
    np.testing.assert_array_equal(onehot.sum(axis=1), 1.0)
    np.testing.assert_array_equal(onehot.argmax(axis=1), t)
    x[0, 0] = 5.0  # callers get their own arrays, the cached subset is untouched
    assert load_mnist(dataset="embedded")[0][0][0, 0] != 5.0


def test_load_mnist_auto_falls_back_to_embedded_and_says_so(clean_env, monkeypatch):
    monkeypatch.setattr(sources, "FASHION_MNIST", dataclasses.replace(sources.FASHION_MNIST, system_dir=None))
    with pytest.warns(DatasetFallbackWarning, match=r'loaded embedded Fashion-MNIST subset train .*not MNIST'
                                                    r'.*dataset="mnist", download=True.*TINYGRAD_EDU_MNIST') as caught:
        (x, _), _, source = load_mnist(return_source=True)
    assert x.shape == (5000, 784) and source.startswith("embedded Fashion-MNIST subset train (5000 images")
    assert caught[0].filename == __file__  # the warning points at the caller's line
    write_fake_split(clean_env / "full", 20)
    write_fake_split(clean_env / "full", 10, train=False)
    monkeypatch.setenv("TINYGRAD_EDU_FASHION_MNIST", str(clean_env / "full"))
    with pytest.warns(DatasetFallbackWarning, match=r"loaded Fashion-MNIST train \(20 images\)"):
        (x, _), (xt, _), source = load_mnist(return_source=True)
    assert x.shape == (20, 784) and xt.shape == (10, 784)
    assert source == (f"Fashion-MNIST train (20 images) from {clean_env / 'full'}; "
                      f"Fashion-MNIST test (10 images) from {clean_env / 'full'}")


def test_load_mnist_auto_prefers_mnist_and_is_silent_then(clean_env, monkeypatch):
    write_fake_split(clean_env / "digits", 30, offset=7)
    write_fake_split(clean_env / "digits", 10, train=False)
    monkeypatch.setenv("TINYGRAD_EDU_MNIST", str(clean_env / "digits"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x, _), _, source = load_mnist(return_source=True)
    assert x.shape == (30, 784) and source.startswith("MNIST train (30 images)")
    with warnings.catch_warnings():  # naming a data set explicitly is never a fallback
        warnings.simplefilter("error")
        (x, _), _ = load_mnist(dataset="embedded")
    assert x.shape == (5000, 784)


def test_load_mnist_argument_errors(clean_env):
    with pytest.raises(ValueError, match="dataset must be"):
        load_mnist(dataset="cifar")
    with pytest.raises(ValueError, match="root and download do not apply"):
        load_mnist(dataset="embedded", root=clean_env)
    with pytest.raises(FileNotFoundError, match="MNIST training files"):
        load_mnist(dataset="mnist")


@needs_full_fashion
def test_full_fashion_mnist_from_the_debian_package(clean_env):
    (x, t), (xt, tt), source = load_mnist(dataset="fashion-mnist", return_source=True)
    assert x.shape == (60000, 784) and xt.shape == (10000, 784)
    assert str(DEBIAN_DIR) in source
    # published facts: 6,000 training and 1,000 test images per class; the first image is an ankle boot
    np.testing.assert_array_equal(np.bincount(t), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(tt), [1000] * 10)
    assert t[0] == 9 and 0.0 <= x.min() and x.max() == 1.0
    test_set = datasets.FashionMNIST(train=False)
    assert len(test_set) == 10000 and test_set.targets[0] == 9


def test_the_pytorch_style_loop_trains_on_the_embedded_subset():
    """Issue 3's loop, verbatim in spirit: a sensible accuracy on held-out embedded images."""
    import tinygrad_edu.nn as nn
    import tinygrad_edu.optim as optim
    F = tg.functional
    train_set = datasets.EmbeddedFashionMNIST(train=True, flatten=True)
    test_set = datasets.EmbeddedFashionMNIST(train=False, flatten=True)
    model = nn.Sequential(nn.Linear(784, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Dropout(0.2), nn.Linear(100, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        for x, y in DataLoader(train_set, batch_size=128, shuffle=True):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with tg.no_grad():
        x_test, y_test = test_set.__getitems__(np.arange(len(test_set)))
        accuracy = (model(x_test).argmax(dim=1).numpy() == y_test.numpy()).mean()
    assert accuracy > 0.75, accuracy  # chance is 0.10; the full-data MLP reaches about 0.88
