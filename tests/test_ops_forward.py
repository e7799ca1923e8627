"""Forward values of every op in op_specs equal their NumPy expression.

Over drawn shapes (0-d, size-1 axes and broadcasting pairs included), with and without
requires_grad (the graph path broadcasts through explicit BroadcastTo nodes, the no-grad path
does not), in float64 to ~1e-10 and in float32 (which must stay float32). Plus the stability
cases a property draw in [-3, 3] never reaches.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.functional as F
from op_specs import OP_SPECS, OpSpec

# These specs multiply by a float64 NumPy array: the result is float64, as in PyTorch.
FLOAT64_CONSTANT = {"rmul_numpy_array", "add_numpy_array_broadcast", "rmatmul_numpy"}
# Dropout draws its mask in the input's precision, so a float64 reference mask differs in float32.
FLOAT32_MASK = {"dropout_fixed_seed"}


def _as_tuple(value):
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _examples(fraction: int) -> int:
    return max(5, settings().max_examples // fraction)


@pytest.mark.parametrize("spec", OP_SPECS, ids=str)
def test_forward_matches_numpy_in_float64(spec: OpSpec):
    @settings(max_examples=_examples(3))
    @given(spec.inputs(), st.booleans())
    def check(arrays, requires_grad):
        originals = [a.copy() for a in arrays]
        tensors = [tg.tensor(a, requires_grad=requires_grad) for a in arrays]
        results = _as_tuple(spec.fn(*tensors))
        expected = _as_tuple(spec.numpy_ref(*arrays))
        assert len(results) == len(expected)
        for result, want in zip(results, expected):
            want = np.asarray(want)
            assert isinstance(result, tg.Tensor)
            assert result.shape == want.shape, f"{spec.name}: shape {result.shape} != NumPy's {want.shape}"
            assert result.dtype == np.float64
            np.testing.assert_allclose(result.data, want, rtol=1e-10, atol=1e-12)
            assert result.requires_grad == requires_grad
        for tensor, original in zip(tensors, originals):
            np.testing.assert_array_equal(tensor.data, original)  # no op may write into its input

    check()


@pytest.mark.parametrize("spec", OP_SPECS, ids=str)
def test_forward_keeps_float32(spec: OpSpec):
    @settings(max_examples=_examples(6))
    @given(spec.inputs())
    def check(arrays):
        tensors = [tg.tensor(a.astype(np.float32)) for a in arrays]
        results = _as_tuple(spec.fn(*tensors))
        expected = _as_tuple(spec.numpy_ref(*arrays))
        for result, want in zip(results, expected):
            assert result.dtype == (np.float64 if spec.name in FLOAT64_CONSTANT else np.float32)
            if spec.name not in FLOAT32_MASK:
                np.testing.assert_allclose(result.data, want, rtol=2e-4, atol=2e-5)

    check()


def test_every_listed_op_has_a_unique_name_and_a_reference():
    assert len(OP_SPECS) == len({spec.name for spec in OP_SPECS}) > 100
    assert all(callable(spec.fn) and callable(spec.numpy_ref) for spec in OP_SPECS)


@pytest.mark.parametrize("big", [80.0, 1000.0])
def test_softmax_family_is_stable_for_large_logits(big):
    x = tg.tensor([[big, big - 1.0, -big], [0.0, -big, big]], dtype=np.float64)
    shifted = x.data - x.data.max(axis=1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.softmax(-1).data, expected, rtol=1e-12)
    log_expected = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(x.log_softmax(-1).data, log_expected, rtol=1e-12)
    np.testing.assert_allclose(x.logsumexp(1).data, [big + np.log1p(np.exp(-1.0)), big], rtol=1e-12)
    assert np.isfinite(F.cross_entropy(x, np.array([2, 1])).item())


def test_sigmoid_softplus_and_bce_do_not_overflow():
    x = tg.tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=np.float64)
    np.testing.assert_allclose(x.sigmoid().data, [0.0, 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0],
                               rtol=1e-12, atol=1e-300)
    # Full relative precision in the left tail: log(sigmoid(x)) stays finite (x itself, nearly).
    np.testing.assert_allclose(tg.tensor([-40.0, -700.0], dtype=np.float64).sigmoid().log().data, [-40.0, -700.0])
    np.testing.assert_allclose(x.softplus().data, [0.0, np.log1p(np.exp(-30.0)), np.log(2.0), 30.0, 1000.0],
                               rtol=1e-12, atol=1e-300)
    loss = F.binary_cross_entropy_with_logits(x, np.array([1.0, 1.0, 0.0, 0.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [1000.0, 30.0, np.log(2.0), 30.0, 1000.0], rtol=1e-9)


SIGMOID_POINTS = [-1000.0, -800.0, -745.0, -710.0, -709.0, -120.0, -104.0, -103.0, -100.0, -90.0, -88.8, -88.7,
                  -88.0, -87.4, -87.3, -50.0, -20.0, -17.0, -11.5, -11.0, -3.5, -1.0, -1e-8, -0.0, 0.0, 1e-8, 0.3,
                  1.0, 20.0, 90.0, 1000.0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_keeps_relative_precision_down_to_the_subnormals(dtype):
    """Against extended precision, from the far left tail (exp(-x) overflows, the answer is
    subnormal or 0) to 1, and with the same bits as the plain exp(-|x|) formula it spells faster."""
    x = np.concatenate([np.array(SIGMOID_POINTS), np.linspace(-120.0, 30.0, 20011)]).astype(dtype)
    x = x[np.isfinite(x)]  # float16 has no -1000
    with np.errstate(over="ignore"):
        exact = (1 / (1 + np.exp(-x.astype(np.longdouble)))).astype(dtype)
        e = np.exp(-np.abs(x))
        plain = np.where(x >= 0, 1, e) / (1 + e)
    ours = tg.tensor(x).sigmoid().data  # a RuntimeWarning (overflow) fails the test: pyproject's filterwarnings
    assert ours.dtype == dtype
    bits = np.dtype(f"i{np.dtype(dtype).itemsize}")
    ulps = np.abs(ours.view(bits).astype(np.int64) - exact.view(bits).astype(np.int64))  # both >= 0: ordered as ints
    assert ulps.max() <= 4, x[ulps.argmax()]
    np.testing.assert_array_equal(ours, plain)
    np.testing.assert_array_equal(tg.tensor(np.array([np.inf, -np.inf, np.nan, -0.0], dtype)).sigmoid().data,
                                  np.array([1.0, 0.0, np.nan, 0.5], dtype))
    for k in range(0, x.size, 997):  # a 0-d input gets the same bits as its element of the array
        assert tg.tensor(x[k]).sigmoid().data.tobytes() == ours[k].tobytes()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int64])
def test_sigmoid_of_integers_is_taken_in_the_float_type_exp_gives_them(dtype):
    """Unsigned inputs used to have -|x| wrap around (sigmoid(1) of a uint8 came out 0)."""
    info = np.iinfo(dtype)
    x = np.array([0, 1, 2, 5, 17, 100, 127, info.max] + ([-1, -5, -100, info.min] if info.min else []), dtype)
    ours = tg.tensor(x).sigmoid().data
    assert ours.dtype == np.exp(x[:0]).dtype
    with np.errstate(over="ignore"):
        exact = (1 / (1 + np.exp(-x.astype(np.float64)))).astype(ours.dtype)
    np.testing.assert_allclose(ours, exact, rtol=2 * np.finfo(ours.dtype).eps, atol=0)


def test_binary_ops_broadcast_0d_and_size1_both_ways():
    a = tg.tensor(np.arange(6.0).reshape(2, 1, 3), requires_grad=True)
    b = tg.tensor(np.array(2.0), requires_grad=True)
    c = tg.tensor(np.ones((4, 1)), requires_grad=True)
    assert (a * b).shape == (2, 1, 3)
    assert (b - a).shape == (2, 1, 3)
    assert (a + c).shape == (2, 4, 3)
    assert (c / (a + 1)).shape == (2, 4, 3)
    np.testing.assert_allclose((a + c).data, a.data + c.data)


def test_incompatible_shapes_raise_naming_both():
    a, b = tg.ones(2, 3, requires_grad=True), tg.ones(4)
    with pytest.raises(ValueError, match=r"Add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        a + b
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        a.detach() + b  # no graph: NumPy's own broadcasting reports it
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        tg.ones(2, 3) @ tg.ones(2, 3)
