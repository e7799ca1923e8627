"""BatchNorm1d and functional.batch_norm against a NumPy oracle, hand-computed numbers and gradcheck."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F


def oracle(x, gamma, beta, running_mean, running_var, momentum, eps, training):
    """PyTorch's BatchNorm written out in NumPy: returns y and the new running statistics."""
    axes = (0,) if x.ndim == 2 else (0, 2)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1)
    if training:
        mean, var = x.mean(axes), x.var(axes)
        count = x.size // x.shape[1]
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * count / (count - 1)
    else:
        mean, var = running_mean, running_var
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)
    return y, running_mean, running_var


def test_hand_computed_single_feature_step():
    bn = nn.BatchNorm1d(1)
    out = bn(tg.tensor([[1.0], [3.0]]))
    # mean 2, biased variance 1 -> (x - 2) / sqrt(1 + eps); unbiased variance 2 for the running one.
    np.testing.assert_allclose(out.data.ravel(), np.array([-1.0, 1.0]) / np.sqrt(1 + 1e-5), rtol=1e-6)
    np.testing.assert_allclose(bn.running_mean.data, [0.2], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.data, [0.9 * 1 + 0.1 * 2], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 1


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_training_then_eval_matches_the_numpy_oracle(shape):
    tg.set_default_dtype(np.float64)
    bn = nn.BatchNorm1d(3, momentum=0.3, eps=1e-3)
    rng = np.random.default_rng(1)
    nn.init.normal_(bn.weight, 1.0, 0.5)
    nn.init.normal_(bn.bias, 0.0, 0.5)
    gamma, beta = bn.weight.data.copy(), bn.bias.data.copy()
    running_mean, running_var = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.normal(2.0, 3.0, size=shape)
        expected, running_mean, running_var = oracle(x, gamma, beta, running_mean, running_var, 0.3, 1e-3, True)
        np.testing.assert_allclose(bn(tg.tensor(x)).data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, running_mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, running_var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    x = rng.normal(size=shape)
    expected, _, _ = oracle(x, gamma, beta, running_mean, running_var, 0.3, 1e-3, False)
    np.testing.assert_allclose(bn(tg.tensor(x)).data, expected, rtol=1e-10, atol=1e-12)
    assert bn.num_batches_tracked.item() == 3  # eval leaves the buffers alone
    np.testing.assert_allclose(bn.running_mean.data, running_mean, rtol=1e-12)


def test_momentum_none_is_a_cumulative_average():
    tg.set_default_dtype(np.float64)
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [tg.randn(6, 2) * (i + 1) + i for i in range(4)]
    for x in batches:
        bn(x)
    np.testing.assert_allclose(bn.running_mean.data, np.mean([x.data.mean(0) for x in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, np.mean([x.data.var(0, ddof=1) for x in batches], axis=0),
                               rtol=1e-12)


def test_without_running_stats_eval_uses_the_batch_statistics():
    bn = nn.BatchNorm1d(3, track_running_stats=False)
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]
    x = tg.randn(10, 3) * 4 + 1
    train_out = bn(x).data
    bn.eval()
    np.testing.assert_allclose(bn(x).data, train_out, rtol=1e-6)
    np.testing.assert_allclose(train_out.mean(0), 0, atol=1e-5)


def test_affine_false_has_no_parameters_and_state_dict_keys_follow_torch():
    bn = nn.BatchNorm1d(4, affine=False)
    assert list(bn.parameters()) == []
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    out = bn(tg.randn(5, 4)).data
    np.testing.assert_allclose(out.std(0), 1, rtol=1e-3)
    scale_only = nn.BatchNorm1d(4, bias=False)
    assert list(scale_only.state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]
    assert "bias=False" in repr(scale_only)


def test_gradients_in_training_mode_match_numerical():
    tg.set_default_dtype(np.float64)
    for shape in [(5, 3), (3, 3, 4)]:
        x = tg.randn(*shape, requires_grad=True)
        weight = tg.randn(3, requires_grad=True)
        bias = tg.randn(3, requires_grad=True)
        assert tg.gradcheck(lambda x_, w, b: F.batch_norm(x_, None, None, w, b, training=True), [x, weight, bias])


def test_gradients_in_eval_mode_match_numerical():
    tg.set_default_dtype(np.float64)
    bn = nn.BatchNorm1d(3).double()
    bn.running_mean.data[...] = [0.5, -1.0, 2.0]
    bn.running_var.data[...] = [0.25, 4.0, 1.0]
    bn.eval()
    x = tg.randn(4, 3, requires_grad=True)
    assert tg.gradcheck(lambda x_, w, b: F.batch_norm(x_, bn.running_mean, bn.running_var, w, b),
                        [x, bn.weight, bn.bias])


def test_functional_batch_norm_updates_buffer_tensors_in_place():
    running_mean, running_var = tg.zeros(2), tg.ones(2)
    x = tg.tensor([[0.0, 10.0], [2.0, 20.0]])
    F.batch_norm(x, running_mean, running_var, training=True, momentum=0.5)
    np.testing.assert_allclose(running_mean.data, [0.5, 7.5])
    np.testing.assert_allclose(running_var.data, [0.5 + 0.5 * 2.0, 0.5 + 0.5 * 50.0])


def test_errors_name_the_shapes():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"axis 1 must have 3 features"):
        bn(tg.zeros(4, 2))
    with pytest.raises(ValueError, match=r"2D \(N, C\) or 3D"):
        bn(tg.zeros(4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(tg.zeros(1, 3))
    with pytest.raises(ValueError, match="running_mean of shape"):
        F.batch_norm(tg.zeros(4, 3), np.zeros(2), np.ones(2))
    bn.eval()
    assert bn(tg.zeros(1, 3)).shape == (1, 3)  # one sample is fine with running statistics


_inputs = arrays(np.float64, (6, 3), elements=st.floats(-100, 100))


@given(_inputs, _inputs, st.floats(-2, 2))
def test_eval_mode_is_affine_in_the_input(x1, x2, a):
    tg.set_default_dtype(np.float64)
    bn = nn.BatchNorm1d(3)
    bn(tg.tensor(x1 + np.arange(18).reshape(6, 3)))  # some non-trivial running statistics
    bn.eval()

    def f(x):
        return bn(tg.tensor(x)).data

    np.testing.assert_allclose(f(a * x1 + (1 - a) * x2), a * f(x1) + (1 - a) * f(x2), rtol=1e-7, atol=1e-6)


@given(arrays(np.float64, (8, 2), elements=st.floats(-1e3, 1e3)).filter(lambda x: np.all(x.std(0) > 1e-2)))
def test_training_output_is_standardised_per_feature(x):
    tg.set_default_dtype(np.float64)
    out = nn.BatchNorm1d(2, eps=0.0)(tg.tensor(x)).data
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(out.std(0), 1, rtol=1e-9)
