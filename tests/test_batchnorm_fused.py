"""The fused training-mode BatchNorm primitive against NumPy and numerical derivatives."""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.ops.normalization import BatchNormTrain


def fused(x, weight, bias, axes=(0,), eps=1e-5):
    """What functional.batch_norm does in training: batch statistics from x, then the fused op."""
    mean = x.data.mean(axis=axes, keepdims=True)
    var = x.data.var(axis=axes, keepdims=True)
    return BatchNormTrain.apply(x, weight, bias, x.data - mean, var, axes, eps)


@pytest.mark.parametrize("shape, axes", [((5, 3), (0,)), ((4, 3, 2), (0, 2))])
def test_forward_matches_numpy_formula(shape, axes):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(shape), rng.standard_normal(3), rng.standard_normal(3)
    kept = (1, 3) + (1,) * (len(shape) - 2)
    expected = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5) * w.reshape(kept) \
        + b.reshape(kept)
    out = fused(tg.tensor(x), tg.tensor(w), tg.tensor(b), axes)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, axes", [((5, 3), (0,)), ((4, 3, 2), (0, 2))])
@pytest.mark.parametrize("affine", [True, False])
def test_gradients_match_numerical(shape, axes, affine):
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    w = tg.tensor(rng.standard_normal(3), requires_grad=True) if affine else None
    b = tg.tensor(rng.standard_normal(3), requires_grad=True) if affine else None
    inputs = [x, w, b] if affine else [x]
    cotangent = tg.tensor(rng.standard_normal(shape))  # a random cotangent, not sum(): permutations show

    def loss(*args):
        return (fused(args[0], *(args[1:] if affine else (None, None)), axes=axes) * cotangent).sum()

    assert tg.gradcheck(loss, inputs, eps=1e-6, atol=1e-6, rtol=1e-5)


def test_second_derivatives_match_numerical():
    rng = np.random.default_rng(2)
    x = tg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = tg.tensor(rng.standard_normal(3), requires_grad=True)
    b = tg.tensor(rng.standard_normal(3), requires_grad=True)
    cotangent = rng.standard_normal((4, 3))
    assert tg.gradgradcheck(lambda x, w, b: (fused(x, w, b) * cotangent).sum() ** 2 / 10, [x, w, b],
                            eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axes", [((7, 3), (0,)), ((4, 3, 5), (0, 2)), ((2, 3, 4, 5), (0, 2, 3))])
def test_batch_statistics_are_numpys_mean_and_var(shape, axes, dtype):
    from tinygrad_edu.ops.normalization import batch_statistics

    x = (np.random.default_rng(2).standard_normal(shape) * 3 + 1).astype(dtype)
    mean, centred, var = batch_statistics(x, axes)
    # The same sums divided the same way: equal, not merely close.
    np.testing.assert_array_equal(mean, x.mean(axis=axes, keepdims=True))
    np.testing.assert_array_equal(var, x.var(axis=axes, keepdims=True))
    np.testing.assert_array_equal(centred, x - x.mean(axis=axes, keepdims=True))
    assert mean.dtype == var.dtype == centred.dtype == dtype


def test_output_changed_in_place_does_not_change_backward():
    """Without weight and bias the output must not be the array backward keeps (x-hat)."""
    rng = np.random.default_rng(3)
    data, cotangent = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    x = tg.tensor(data, requires_grad=True)
    out = tg.nn.functional.batch_norm(x, None, None, training=True)
    out.mul_(2.0)  # in place on the output, recorded: the gradient doubles, nothing else changes
    (out * cotangent).sum().backward()
    y = tg.tensor(data, requires_grad=True)
    (tg.nn.functional.batch_norm(y, None, None, training=True) * (2.0 * cotangent)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-12, atol=1e-12)
