"""tinygrad_edu.testing itself: its strategies draw what they promise, its property can fail."""
import inspect

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.testing import (arrays, assert_gradients_match, away_from, broadcastable_shapes, distinct_arrays,
                                  floats, gradients_match, positive, shapes, tensors)

QUICK_FAILURE = settings(max_examples=5, phases=[Phase.generate])


def test_shapes_reach_0d_and_size_one_axes_and_respect_bounds():
    seen = []

    @settings(max_examples=100)
    @given(shapes())
    def collect(shape):
        assert 0 <= len(shape) <= 3 and all(1 <= n <= 4 for n in shape)
        seen.append(shape)

    collect()
    assert () in seen and any(1 in s for s in seen) and any(len(s) == 3 for s in seen)


@settings(max_examples=50)
@given(broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shape_tuple):
    assert len(shape_tuple) == 3
    np.broadcast_shapes(*shape_tuple)


@settings(max_examples=30)
@given(broadcastable_shapes(signature="(m,n),(n,p)->(m,p)", max_dims=2))
def test_broadcastable_shapes_follow_a_signature(shape_tuple):
    a, b = shape_tuple
    assert a[-1] == b[-2]
    np.matmul(np.ones(a), np.ones(b))


@settings(max_examples=100)
@given(away_from([0.0, 1.0], margin=0.2, min_value=-2.0, max_value=2.0), positive(0.5, 2.0), floats(-1.0, 1.0))
def test_value_strategies_stay_in_their_domain(kept_away, pos, plain):
    assert -2.0 <= kept_away <= 2.0 and abs(kept_away) >= 0.1998 and abs(kept_away - 1.0) >= 0.1998
    assert 0.5 <= pos <= 2.0 and -1.0 <= plain <= 1.0 and np.isfinite(plain)


def test_positive_refuses_a_non_positive_lower_bound():
    with pytest.raises(ValueError, match="min_value > 0"):
        positive(0.0)


@settings(max_examples=50)
@given(distinct_arrays(broadcastable_shapes(2), min_gap=0.1))
def test_distinct_arrays_keep_every_pair_apart(pair):
    values = np.sort(np.concatenate([a.ravel() for a in pair]))
    assert np.all(np.diff(values) >= 0.1 - 1e-9) and values.min() >= -3.0 and values.max() <= 3.0


def test_distinct_arrays_refuse_an_impossible_gap():
    @settings(max_examples=1)
    @given(distinct_arrays([(10,)], min_gap=1.0))
    def draw(values):
        raise AssertionError("drew 10 values 1.0 apart inside [-3, 3]")

    with pytest.raises(ValueError, match="do not fit"):
        draw()


@settings(max_examples=20)
@given(arrays(shapes(), dtype=np.float32), tensors((2, 3), requires_grad=True), tensors((2,), dtype=np.int64))
def test_arrays_and_tensors_have_the_asked_dtype(a, t, i):
    assert a.dtype == np.float32 and np.all(np.abs(a) <= 3.0)
    assert t.dtype == np.float64 and t.requires_grad and t.shape == (2, 3)
    assert i.dtype == np.int64 and not i.requires_grad


def test_assert_gradients_match_passes_a_right_op_with_extra_arguments():
    assert_gradients_match(lambda x, axis: x.tanh().sum(axis), arrays((2, 3)), st.sampled_from([0, 1]),
                           max_examples=5)


class PermutingBackward(tg.Function):
    """Right for a uniform cotangent, wrong otherwise: backward reverses grad_output."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad_out):
        return 2 * grad_out[::-1]


def test_the_random_cotangent_catches_what_a_sum_check_misses():
    x = tg.tensor(np.arange(3.0), requires_grad=True)
    assert tg.gradcheck(lambda t: PermutingBackward.apply(t).sum(), [x])  # the naive check passes
    with pytest.raises(tg.GradcheckError):
        assert_gradients_match(PermutingBackward.apply, arrays((3,)), full_jacobian=False,
                               hypothesis_settings=QUICK_FAILURE)


def test_assert_gradients_match_needs_a_differentiable_input():
    with pytest.raises(ValueError, match="no drawn input"):
        assert_gradients_match(lambda n: tg.tensor([1.0]) * n, st.just(2), max_examples=1)
    with pytest.raises(TypeError, match="at least one strategy"):
        assert_gradients_match(lambda: None)


def test_assert_gradients_match_names_an_op_without_outputs():
    with pytest.raises(ValueError, match="returned no outputs"):
        assert_gradients_match(lambda x: (), arrays((2,)), max_examples=1)


def test_decorator_makes_a_zero_argument_test_that_runs_the_property():
    @gradients_match(arrays((3,)), hypothesis_settings=QUICK_FAILURE)
    def test_wrong(x):
        """A planted bug."""
        return PermutingBackward.apply(x)

    assert test_wrong.__name__ == "test_wrong" and test_wrong.__doc__ == "A planted bug."
    assert inspect.signature(test_wrong).parameters == {}  # pytest must not look for fixtures
    with pytest.raises(tg.GradcheckError):
        test_wrong()


@gradients_match(arrays(shapes(min_dims=1)), arrays((1,)), max_examples=5)
def test_decorated_property_is_collected_by_pytest(x, y):
    return (x * y).exp()
