"""Convolution and pooling: generated geometries against numerical gradients, second order,
the tie rule of max pooling, the modules (layout, init, BatchNorm2d's running statistics) and
the error messages. PyTorch comparisons live in test_conv_torch.py.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.functional as F
import tinygrad_edu.nn as nn
from op_specs import _np_conv2d
from tinygrad_edu.testing import arrays, assert_gradients_match


@st.composite
def conv_problems(draw):
    """Arrays x, w, b and a geometry (stride, padding, dilation, groups) whose output is not empty."""
    groups = draw(st.sampled_from([1, 1, 2]))
    c_group, f_group = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding, dilation = draw(st.integers(1, 2)), draw(st.integers(0, 1)), draw(st.integers(1, 2))
    h = draw(st.integers(max(1, dilation * (kh - 1) + 1 - 2 * padding), 5))
    w = draw(st.integers(max(1, dilation * (kw - 1) + 1 - 2 * padding), 5))
    x = draw(arrays((draw(st.integers(1, 2)), c_group * groups, h, w)))
    weight = draw(arrays((f_group * groups, c_group, kh, kw)))
    bias = draw(arrays((f_group * groups,)))
    return x, weight, bias, stride, padding, dilation, groups


def test_conv2d_gradients_over_generated_geometries():
    assert_gradients_match(F.conv2d, conv_problems(), max_examples=max(6, settings().max_examples // 3),
                           max_jacobian=1024)


@settings(max_examples=max(4, settings().max_examples // 4))
@given(conv_problems())
def test_conv2d_matches_the_loop_definition(problem):
    x, w, b, stride, padding, dilation, groups = problem
    out = F.conv2d(tg.tensor(x), tg.tensor(w), tg.tensor(b), stride, padding, dilation, groups)
    np.testing.assert_allclose(out.data, _np_conv2d(x, w, b, stride, padding, dilation, groups), atol=1e-12)


@st.composite
def pool_problems(draw):
    k, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding, dilation = draw(st.integers(0, k // 2)), draw(st.integers(1, 2))
    span = dilation * (k - 1) + 1
    h, w = draw(st.integers(max(1, span - 2 * padding), 5)), draw(st.integers(max(1, span - 2 * padding), 5))
    # Distinct values: a tie is a kink of max, where no numerical gradient exists.
    x = np.random.default_rng(draw(st.integers(0, 2**16))).permutation(2 * h * w).reshape(1, 2, h, w) / 7.0
    return x, k, stride, padding, dilation, draw(st.booleans())


def test_max_pool2d_gradients_over_generated_geometries():
    assert_gradients_match(F.max_pool2d, pool_problems(), max_examples=max(6, settings().max_examples // 3))


def test_avg_pool2d_gradients_over_generated_geometries():
    def average(x, k, stride, padding, _, ceil_mode):
        return F.avg_pool2d(x, k, stride, padding, ceil_mode, count_include_pad=ceil_mode)
    assert_gradients_match(average, pool_problems(), max_examples=max(4, settings().max_examples // 4))


def test_second_order_through_conv_and_pooling():
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((2, 1, 2, 2)), requires_grad=True)
    b = tg.tensor(rng.standard_normal(2), requires_grad=True)
    assert tg.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2), [x, w, b])
    assert tg.gradgradcheck(lambda x, w: F.avg_pool2d(F.conv2d(x, w, groups=2).tanh(), 2, 1), [x, w])


def test_max_pool_gives_the_gradient_to_one_element_per_window_on_ties():
    x = tg.tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    out, indices = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    assert x.grad.data[0, 0].tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    assert indices.data[0, 0].tolist() == [[0, 2], [8, 10]] and not indices.requires_grad
    x.grad = None
    F.max_pool2d(x, 3, stride=1).sum().backward()  # overlapping windows: each still picks one element
    assert x.grad.data[0, 0].tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_unfold_and_fold_are_adjoint():
    rng = np.random.default_rng(1)
    x, c = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3 * 6, 6))
    cols = F.unfold(tg.tensor(x), (2, 3), padding=1, stride=2)
    image = F.fold(tg.tensor(c), (5, 4), (2, 3), padding=1, stride=2)
    assert cols.shape == c.shape
    assert np.isclose((cols.data * c).sum(), (x * image.data).sum())  # <unfold x, c> = <x, fold c>


def test_conv2d_float32_stays_float32():
    x = tg.randn(2, 1, 6, 6, requires_grad=True)
    conv = nn.Conv2d(1, 3, 3)
    out = conv(x)
    out.sum().backward()
    assert out.dtype == np.float32 and conv.weight.grad.dtype == np.float32 and x.grad.dtype == np.float32


def test_conv2d_module_layout_and_default_init():
    tg.manual_seed(3)
    conv = nn.Conv2d(4, 64, (3, 5), groups=2)
    assert conv.weight.shape == (64, 2, 3, 5) and conv.bias.shape == (64,)
    bound = 1 / math.sqrt(2 * 3 * 5)  # kaiming_uniform_(a=sqrt(5)) on fan_in = in/groups * kh * kw
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.weight.data).max() > 0.95 * bound
    assert abs(conv.weight.data.std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform's std
    assert np.abs(conv.bias.data).max() <= bound
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert repr(conv) == "Conv2d(4, 64, kernel_size=(3, 5), stride=(1, 1), groups=2)"
    assert nn.Conv2d(1, 1, 3, bias=False).bias is None


def test_batchnorm2d_running_statistics_by_hand():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 2, 5)) * 2 + 1
    bn = nn.BatchNorm2d(3, momentum=0.1, dtype=np.float64)
    y = bn(tg.tensor(x))
    mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
    np.testing.assert_allclose(y.data, (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5), atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * mean)
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * var * 40 / 39)  # unbiased, n = 4 * 2 * 5
    assert int(bn.num_batches_tracked.data) == 1
    with pytest.raises(ValueError, match="expected 4D input"):
        bn(tg.tensor(x[:, :, 0]))


def test_unflatten_inverts_flatten():
    x = tg.randn(2, 784)
    assert nn.Unflatten(1, (1, 28, 28))(x).shape == (2, 1, 28, 28)
    assert nn.Flatten()(nn.Unflatten(-1, (28, -1))(x)).shape == (2, 784)
    with pytest.raises(RuntimeError, match="unflattened_size"):
        nn.Unflatten(1, (3, 28))(x)


def test_dropout2d_zeroes_whole_channels():
    y = nn.Dropout2d(0.5)(tg.ones(8, 6, 3, 3)).data
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == y[:, :, :1, :1]).all()
    assert 0 < (y == 0).mean() < 1
    layer = nn.Dropout2d(0.5).eval()
    assert layer(tg.ones(2, 2, 2, 2)).data.tolist() == tg.ones(2, 2, 2, 2).data.tolist()


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 1, 3, 3)), "expected input[1, 3, 5, 5] to have 1 channels"),
    (lambda: F.conv2d(tg.ones(1, 1, 3, 3), tg.ones(2, 1, 5, 5)), "Kernel size can't be greater than actual input"),
    (lambda: F.conv2d(tg.ones(1, 1, 3, 3), tg.ones(1, 1, 2, 2), stride=2, padding="same"), "strided convolutions"),
    (lambda: F.conv2d(tg.ones(3, 3), tg.ones(1, 1, 2, 2)), "Expected 3D (unbatched) or 4D (batched) input"),
    (lambda: F.conv2d(tg.ones(1, 4, 3, 3), tg.ones(3, 2, 2, 2), groups=2), "divisible by 2 at dimension 0"),
    (lambda: F.max_pool2d(tg.ones(1, 1, 5, 5), 3, padding=2), "pad should be at most half of effective kernel"),
    (lambda: F.fold(tg.ones(1, 5, 4), (3, 3), 2), "divisible by the product of kernel_size"),
    (lambda: F.pad(tg.ones(1, 1, 3, 3), (3, 3), mode="reflect"), "too large"),
])
def test_errors_name_the_problem(call, message):
    with pytest.raises(RuntimeError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        call()


def test_bad_arguments_are_value_and_type_errors():
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.conv2d(tg.ones(1, 1, 3, 3), tg.ones(1, 1, 2, 2), stride=0)
    with pytest.raises(TypeError, match="padding must be an int or a pair"):
        F.conv2d(tg.ones(1, 1, 3, 3), tg.ones(1, 1, 2, 2), padding=(1, 1, 1))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(RuntimeError, match="expected scalar type float64 but found float32"):
        F.conv2d(tg.ones(1, 1, 3, 3, dtype=np.float64), tg.ones(1, 1, 2, 2))
