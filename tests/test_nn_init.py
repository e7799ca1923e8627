"""nn.init: gains, fan rules, the statistics of each scheme, and the book's init names."""
import math

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
from tinygrad_edu.nn import init


@pytest.mark.parametrize("name, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 0, math.sqrt(2)), ("selu", None, 0.75)])
def test_calculate_gain_table(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_rejects_unknown_names_and_bad_slopes():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans_follow_pytorch_layout():
    assert init._calculate_fan_in_and_fan_out(tg.zeros(30, 20)) == (20, 30)  # Linear (out, in): fan_in = in
    assert init._calculate_fan_in_and_fan_out(tg.zeros(8, 3, 5, 5)) == (75, 200)  # conv (out, in, kh, kw)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tg.zeros(5))


# Large tensors so that the sample std is within ~1 % of its expectation (relative error ~ 1/sqrt(2n)).
def _std(tensor):
    return float(tensor.data.astype(np.float64).std())


def test_kaiming_normal_uses_fan_in_of_the_linear_weight():
    w = tg.zeros(100, 400)  # (out, in): fan_in 400
    init.kaiming_normal_(w, nonlinearity="relu")
    assert _std(w) == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert _std(w) == pytest.approx(math.sqrt(2 / 100), rel=0.02)
    init.kaiming_normal_(w)  # torch's default: leaky_relu with slope a=0, i.e. gain sqrt(2)
    assert _std(w) == pytest.approx(math.sqrt(2 / 400), rel=0.02)


def test_book_xavier_and_he_are_kaiming_normal_with_linear_and_relu():
    n = 500
    w = tg.zeros(200, n)
    init.kaiming_normal_(w, nonlinearity="linear")
    assert _std(w) == pytest.approx(math.sqrt(1 / n), rel=0.02)  # the book's "Xavier"
    assert abs(float(w.data.mean())) < 0.05 * math.sqrt(1 / n)
    init.kaiming_normal_(w, nonlinearity="relu")
    assert _std(w) == pytest.approx(math.sqrt(2 / n), rel=0.02)  # the book's "He"
    init.xavier_normal_(w)
    assert _std(w) == pytest.approx(math.sqrt(2 / (n + 200)), rel=0.02)  # Glorot: a different number


def test_uniform_schemes_bounds_and_std():
    w = tg.zeros(300, 200)
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound
    assert _std(w) == pytest.approx(bound / math.sqrt(3), rel=0.02)
    init.kaiming_uniform_(w, a=math.sqrt(5))  # Linear's default: bound 1/sqrt(fan_in)
    assert np.abs(w.data).max() <= 1 / math.sqrt(200)
    assert _std(w) == pytest.approx(1 / math.sqrt(200) / math.sqrt(3), rel=0.02)
    init.uniform_(w, -1.0, 3.0)
    assert w.data.min() >= -1.0 and w.data.max() < 3.0
    assert float(w.data.mean()) == pytest.approx(1.0, abs=0.02)


def test_normal_mean_and_std():
    w = tg.zeros(250, 250)
    init.normal_(w, mean=2.0, std=0.5)
    assert float(w.data.mean()) == pytest.approx(2.0, abs=0.005)
    assert _std(w) == pytest.approx(0.5, rel=0.01)
    with pytest.raises(ValueError, match="std >= 0"):
        init.normal_(w, std=-1.0)


def test_constant_initialisers_keep_identity_and_dtype():
    layer = nn.Linear(3, 2)
    weight = layer.weight
    assert init.ones_(layer.weight) is weight and np.all(weight.data == 1) and weight.dtype == np.float32
    init.zeros_(layer.bias)
    init.constant_(layer.weight, 0.25)
    assert np.all(layer.bias.data == 0) and np.all(weight.data == 0.25)


def test_initialisation_is_reproducible_and_rejects_bad_targets():
    tg.manual_seed(7)
    first = init.normal_(tg.zeros(4, 4)).data.copy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(init.normal_(tg.zeros(4, 4)).data, first)
    with pytest.raises(TypeError, match="floating-point"):
        init.uniform_(tg.tensor([1, 2, 3]))
    x = tg.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="result of an operation"):
        init.zeros_(x * 2)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(tg.zeros(2, 2), mode="fan_avg")


def test_empty_tensor_is_a_no_op():
    assert init.kaiming_uniform_(tg.zeros(0, 3)).shape == (0, 3)
    assert nn.Linear(0, 2).bias.shape == (2,)
