"""The chapter 7 and 8 examples in --quick mode: the book's conv numbers exactly, the nets' shapes
and initial scales as the book builds them, and every script of the chain (train, then draw the
filters / the mistakes / float16) running on the embedded images. Each run writes only to a
temporary directory; the checkpoints each chain passes on are temporary files too.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
from ch07 import filters, im2col, simple_convnet  # noqa: E402
from ch08 import deep_convnet, half_float, misclassified  # noqa: E402
from common.nets import BookDropout  # noqa: E402


def quick(tmp_path: Path, *flags: str) -> list[str]:
    return ["--quick", "--out-dir", str(tmp_path), *flags]


def test_im2col_reproduces_the_books_convolution_and_pooling_numbers(tmp_path):
    results = im2col.main(quick(tmp_path))
    assert results["conv2d"][0, 0].tolist() == [[15, 16], [6, 15]]  # figure 7-3
    np.testing.assert_array_equal(results["product"], results["conv2d"])  # im2col @ W is the convolution
    assert results["columns"].shape == (4, 9) and results["columns"][0].tolist() == [1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert results["shapes"] == {1: (9, 75), 10: (90, 75)}  # the book's 7.4.3 shapes
    assert results["counts"][0, 0].tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    assert results["pooled"][0, 0].tolist() == [[2, 3], [4, 2]]  # figure 7-14
    assert results["pool_grad"].sum() == 4 and set(np.unique(results["pool_grad"])) == {0.0, 1.0}


def test_simple_conv_net_is_the_books_network():
    tg.manual_seed(0)
    net = simple_convnet.simple_conv_net()
    assert [tuple(p.shape) for p in net.parameters()] == [(30, 1, 5, 5), (30,), (100, 4320), (100,), (10, 100), (10,)]
    weights = [p.data for name, p in net.named_parameters() if name.endswith("weight")]
    assert all(abs(w.std() - 0.01) < 0.002 for w in weights)  # N(0, 0.01^2) everywhere
    assert not any(p.data.any() for name, p in net.named_parameters() if name.endswith("bias"))
    assert net(tg.randn(3, 1, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("convention", ["pytorch", "book"])
def test_deep_conv_net_is_the_books_network_with_he_init(convention):
    tg.manual_seed(0)
    net = deep_convnet.deep_conv_net(convention)
    layers = [layer for layer in net if isinstance(layer, (nn.Conv2d, nn.Linear))]
    fan_ins = [int(np.prod(layer.weight.shape[1:])) for layer in layers]
    assert fan_ins == [9, 144, 144, 288, 288, 576, 1024, 50]  # the book's pre_node_nums
    assert [layer.padding for layer in layers if isinstance(layer, nn.Conv2d)][3] in (2, (2, 2))  # conv 4: pad 2
    for layer, fan_in in zip(layers, fan_ins):
        assert layer.weight.data.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.35 if fan_in < 100 else 0.1)
    dropout = BookDropout if convention == "book" else nn.Dropout
    assert sum(isinstance(layer, dropout) for layer in net) == 2
    net.eval()
    assert net(tg.randn(2, 1, 28, 28)).shape == (2, 10)


def test_simple_conv_net_trains_and_its_filters_are_drawn(tmp_path):
    checkpoint = tmp_path / "simple_convnet.npz"
    results = simple_convnet.main(quick(tmp_path, "--checkpoint", str(checkpoint)))
    history = results["history"]
    assert history.steps == [2, 4] and len(history.loss) == 4 and len(history.epoch_seconds) == 2
    assert history.loss[-1] < history.loss[0]
    assert 0.0 <= results["test_accuracy"] <= 1.0 and results["seconds_per_epoch"] > 0
    drawn = filters.main(quick(tmp_path, "--checkpoint", str(checkpoint)))
    assert drawn["before"].shape == drawn["after"].shape == (30, 1, 5, 5)
    assert not np.array_equal(drawn["before"], drawn["after"])  # the trained weights, not a fresh init
    assert drawn["responses"].shape == (30, 24, 24)
    assert abs(drawn["smoothness"]["before"]) < 0.2  # N(0, 0.01^2) noise: neighbours uncorrelated
    with pytest.raises(SystemExit, match="run examples/ch07/simple_convnet.py first"):
        filters.main(quick(tmp_path, "--checkpoint", str(tmp_path / "missing.npz")))


def test_deep_conv_net_chain_trains_then_finds_mistakes_and_runs_in_float16(tmp_path):
    checkpoint = tmp_path / "deep_convnet.npz"
    trained = deep_convnet.main(quick(tmp_path, "--checkpoint", str(checkpoint)))
    assert trained["history"].steps == [1, 2] and np.isfinite(trained["history"].loss).all()
    mistakes = misclassified.main(quick(tmp_path, "--checkpoint", str(checkpoint)))
    assert mistakes["accuracy"] == pytest.approx(1 - len(mistakes["wrong"]) / 200)
    assert len(mistakes["predicted"]) == 200
    half = half_float.main(quick(tmp_path, "--checkpoint", str(checkpoint)))
    assert set(half["accuracy"]) == {"float32", "float16"}
    assert abs(half["accuracy"]["float32"] - half["accuracy"]["float16"]) <= 0.1
    assert half["changed"] <= 2  # float16 keeps (almost) every prediction


def test_compare_torch_trains_simple_conv_net_in_both_frameworks_from_the_same_start(tmp_path):
    torch = pytest.importorskip("torch")
    import compare_torch

    threads = torch.get_num_threads()
    try:
        results = compare_torch.main(quick(tmp_path, "--only", "simple-convnet"))
    finally:
        torch.set_num_threads(threads)
    run = results["simple-convnet"]["runs"][0]
    assert run["steps"] == 30
    # same weights (nn.Conv2d's layout is PyTorch's), same 30 batches, float32 both: rounding apart, one model
    assert abs(run["ours"] - run["torch"]) <= 0.01
