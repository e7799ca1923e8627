"""Convolution, pooling and their modules against PyTorch (optional oracle): values, gradients,
running statistics, default init and state_dict exchange in both directions.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.functional as F
import tinygrad_edu.nn as nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(fn_ours, fn_torch, *arrays, **kwargs):
    """Values and gradients (random cotangent) of the same call in both libraries."""
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = fn_ours(*ours, **kwargs), fn_torch(*theirs, **kwargs)
    cotangent = np.random.default_rng(0).standard_normal(tuple(expected.shape))
    (out * tg.tensor(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-10)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), atol=1e-10)


RNG = np.random.default_rng(5)
X = RNG.standard_normal((2, 4, 7, 6))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1), dict(padding="same", dilation=(2, 1)),
                                    dict(groups=2, padding=(0, 2)), dict(groups=4, stride=(1, 2))])
def test_conv2d(kwargs):
    groups = kwargs.get("groups", 1)
    w, b = RNG.standard_normal((4, 4 // groups, 3, 2)), RNG.standard_normal(4)
    _both(F.conv2d, TF.conv2d, X, w, b, **kwargs)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=(2, 3), stride=1, dilation=2)])
def test_max_pool2d_with_ties_and_indices(kwargs):
    x = np.round(X * 2) / 2  # many ties
    _both(F.max_pool2d, TF.max_pool2d, x, **kwargs)
    _, ours = F.max_pool2d(tg.tensor(x), return_indices=True, **kwargs)
    _, theirs = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    assert ours.data.tolist() == theirs.tolist()


@pytest.mark.parametrize("kernel", [2, (2, 3), 1])
def test_max_pool2d_on_tiling_windows_with_ties_and_nans(kernel):
    x = np.round(X[:, :, :6] * 2) / 2  # 6 x 6: the windows tile it (the fast path); many ties
    _both(F.max_pool2d, TF.max_pool2d, x, kernel_size=kernel)
    x[0, 0, 0, :2] = x[1, 2, 2:4, 3] = x[1, 3, 5, 5] = np.nan  # two NaNs in one window, then a lone one
    _both(F.max_pool2d, TF.max_pool2d, x, kernel_size=kernel)


def test_conv_relu_pool_as_in_simple_convnet():
    # conv2d's output is a view in (F, N) memory order; relu and the pool's gradient keep that order
    w, b = RNG.standard_normal((3, 4, 3, 3)), RNG.standard_normal(3)
    _both(lambda x, w, b: F.max_pool2d(F.relu(F.conv2d(x, w, b)), 2),
          lambda x, w, b: TF.max_pool2d(TF.relu(TF.conv2d(x, w, b)), 2), X[:, :, :6], w, b)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                                    dict(kernel_size=2, ceil_mode=True, divisor_override=3)])
def test_avg_pool2d(kwargs):
    _both(F.avg_pool2d, TF.avg_pool2d, X, **kwargs)


@pytest.mark.parametrize("size", [(3, 4), 1, (None, 5)])
def test_adaptive_pools(size):
    _both(F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, X, output_size=size)
    _both(F.adaptive_max_pool2d, TF.adaptive_max_pool2d, X, output_size=size)
    _, ours = F.adaptive_max_pool2d(tg.tensor(X), size, return_indices=True)
    assert ours.data.tolist() == TF.adaptive_max_pool2d(torch.tensor(X), size, return_indices=True)[1].tolist()


def test_unfold_fold_pad_conv1d():
    _both(F.unfold, TF.unfold, X, kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2)
    cols = RNG.standard_normal((2, 4 * 6, 8))
    _both(F.fold, TF.fold, cols, output_size=(7, 6), kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2)
    for mode in ("constant", "reflect", "replicate", "circular"):
        _both(F.pad, TF.pad, X, pad=(1, 2, 2, 0), mode=mode)
    _both(F.conv1d, TF.conv1d, X[:, :, 0], RNG.standard_normal((2, 2, 3)), stride=2, padding=1, groups=2)


def _copy_to_torch(ours, theirs):
    theirs.load_state_dict({key: torch.tensor(np.asarray(value.data)) for key, value in ours.state_dict().items()})


def test_conv2d_module_state_dicts_copy_both_ways():
    ours, theirs = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), torch.nn.Conv2d(4, 6, 3, 2, 1, groups=2)
    _copy_to_torch(ours, theirs)
    x = X.astype(np.float32)
    np.testing.assert_allclose(ours(tg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)
    back = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    back.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    assert all(np.array_equal(a.data, b.data) for a, b in zip(back.parameters(), ours.parameters()))


def test_default_init_has_torchs_distribution():
    tg.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = nn.Conv2d(8, 16, 5), torch.nn.Conv2d(8, 16, 5)
    bound = 1 / np.sqrt(8 * 25)
    a, b = ours.weight.data, theirs.weight.detach().numpy()
    assert abs(np.abs(a).max() - np.abs(b).max()) < 0.01 * bound and np.abs(a).max() <= bound
    assert abs(a.std() - b.std()) < 0.05 * b.std()
    assert np.abs(ours.bias.data).max() <= bound and np.abs(theirs.bias.detach().numpy()).max() <= bound


def test_batchnorm2d_running_stats_and_eval():
    ours, theirs = nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    x = X.astype(np.float32)
    for scale in (1.0, 3.0, 0.5):
        out, expected = ours(tg.tensor(x * scale)), theirs(torch.tensor(x * scale))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.running_mean.data, theirs.running_mean.numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(), atol=1e-5)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(tg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)
    _both(lambda v, w, b: F.batch_norm(v, None, None, w, b, training=True),
          lambda v, w, b: TF.batch_norm(v, None, None, w, b, training=True), X, np.ones(4) * 1.5, np.zeros(4))
