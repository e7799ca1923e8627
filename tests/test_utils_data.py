"""`tinygrad_edu.utils.data` (PyTorch's import path) and the dataset/loader pieces PyTorch code uses:
TensorDataset slicing, Subset, ConcatDataset, random_split, DataLoader's sampler, collate_fn,
generator and drop_last; `load(path, weights_only=True)`."""
import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.data
from tinygrad_edu.utils.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, default_collate,
                                     random_split)


def _dataset(n=10):
    return TensorDataset(tg.arange(n).float().reshape(n, 1), tg.arange(n))


def test_utils_data_is_the_data_package():
    assert DataLoader is tinygrad_edu.data.DataLoader and TensorDataset is tg.data.TensorDataset
    assert Dataset is tg.data.Dataset and tg.utils.data.random_split is random_split


def test_tensor_dataset_slices_lists_and_ints():
    ds = _dataset()
    x, y = ds[2:5]
    assert x.shape == (3, 1) and y.tolist() == [2, 3, 4]
    assert ds[[0, 9]][1].tolist() == [0, 9] and ds[-1][1].item() == 9


def test_subset_and_concat_dataset():
    ds = _dataset()
    sub = Subset(ds, [7, 1, 3])
    assert len(sub) == 3 and sub[0][1].item() == 7 and sub.__getitems__([2, 0])[1].tolist() == [3, 7]
    both = ConcatDataset([sub, _dataset(4)])
    assert len(both) == 7 and both[3][1].item() == 0 and both[-1][1].item() == 3
    assert [b[1].tolist() for b in DataLoader(both, batch_size=4)] == [[7, 1, 3, 0], [1, 2, 3]]
    with pytest.raises(IndexError, match="out of range"):
        both[7]


def test_random_split_lengths_fractions_and_generator():
    ds = _dataset()
    first, second = random_split(ds, [7, 3], generator=tg.Generator().manual_seed(0))
    again, _ = random_split(ds, [7, 3], generator=tg.Generator().manual_seed(0))
    assert len(first) == 7 and len(second) == 3 and first.indices.tolist() == again.indices.tolist()
    assert sorted(first.indices.tolist() + second.indices.tolist()) == list(range(10))
    parts = random_split(ds, [0.5, 0.25, 0.25])
    assert [len(p) for p in parts] == [6, 2, 2]  # floors 5, 2, 2; the leftover goes to the first, as in PyTorch
    assert [len(p) for p in random_split(ds, [0.3, 0.3, 0.4])] == [3, 3, 4]
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [4, 4])


def test_dataloader_sampler_collate_fn_generator_drop_last():
    ds = _dataset()
    loader = DataLoader(ds, batch_size=3, sampler=[9, 8, 7, 0], drop_last=True)
    assert len(loader) == 1 and [b[1].tolist() for b in loader] == [[9, 8, 7]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=[0], shuffle=True)
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return default_collate(samples)

    assert [b[1].tolist() for b in DataLoader(ds, batch_size=4, collate_fn=collate)][-1] == [8, 9]
    assert seen == [4, 4, 2]
    orders = [[b[1].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True,
                                                  generator=tg.Generator().manual_seed(3))] for _ in range(2)]
    assert orders[0] == orders[1] and orders[0][0] != list(range(10))
    with pytest.raises(TypeError, match="Generator"):
        DataLoader(ds, generator=np.random.default_rng(0))


def test_load_accepts_weights_only_and_map_location(tmp_path):
    path = tmp_path / "model.pth"
    tg.save({"w": tg.ones(2)}, path)
    for kwargs in ({"weights_only": True}, {"weights_only": False}, {"map_location": "cpu"}):
        assert tg.load(path, **kwargs)["w"].tolist() == [1.0, 1.0]
