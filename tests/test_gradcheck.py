"""gradcheck catches every planted classic bug and names its cause, in full and in fast mode.

Also: kinks are skipped rather than failed (and do not hide real bugs), the caller's inputs are
untouched, integer inputs are refused, non-determinism is detected, several inputs and
outputs work, and gradgradcheck catches second-order mistakes. The planted ops live in
planted_bugs.py; each has a correct twin that must pass.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.functional as F
from planted_bugs import (AddBiasMean, AddBiasNoSum, CenterForgetsMean, MaxFirstIndex, MulDropsSecond,
                          MulWrongSaved, SinConstantBackward, SinCos, SinCosFlipsSecondSign, Softplus,
                          SoftplusWrongFormula, Square, SquareForgetsTwo, SubFlipsSign, TransposeOnlyReshapes)
from tinygrad_edu.checking import check_gradients
from tinygrad_edu.gradcheck import GradcheckError, gradcheck, gradgradcheck


def _tensor(shape, seed, dtype=np.float64):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), requires_grad=True)


def _planted():
    """(name, op, inputs, cause kind, index of the input whose gradient is wrong)"""
    return [
        ("factor 2", SquareForgetsTwo.apply, [_tensor((3, 4), 1)], "constant_factor", 0),
        ("transpose", TransposeOnlyReshapes.apply, [_tensor((3, 4), 2)], "transposed", 0),
        ("sign", SubFlipsSign.apply, [_tensor((2, 3), 3), _tensor((2, 3), 4)], "sign", 1),
        ("broadcast sum", AddBiasNoSum.apply, [_tensor((4, 3), 5), _tensor((3,), 6)], "missing_broadcast_sum", None),
        ("mean for sum", AddBiasMean.apply, [_tensor((4, 3), 5), _tensor((3,), 6)], "constant_factor", 1),
        ("wrong saved", MulWrongSaved.apply, [_tensor((2, 3), 7), _tensor((2, 3), 8)], "wrong_saved_tensor", 0),
        ("missing", MulDropsSecond.apply, [_tensor((2, 3), 9), _tensor((2, 3), 10)], "missing_gradient", 1),
        ("wrong formula", SoftplusWrongFormula.apply, [_tensor((5,), 11)], "unexplained", 0),
        ("multi-output sign", SinCosFlipsSecondSign.apply, [_tensor((2, 3), 12)], "sign", 0),
    ]


@pytest.mark.parametrize("fast_mode", [False, True], ids=["full", "fast"])
@pytest.mark.parametrize("case", range(len(_planted())), ids=[c[0] for c in _planted()])
def test_planted_bug_is_caught_and_its_cause_named(case, fast_mode):
    name, op, inputs, kind, wrong_input = _planted()[case]
    with pytest.raises(GradcheckError) as info:
        gradcheck(op, inputs, fast_mode=fast_mode)
    result = info.value.result
    assert not result.passed
    assert result.cause_kinds == [kind], str(info.value)
    assert f"likely cause ({kind})" in str(info.value)
    if wrong_input is not None:
        assert [pair.input for pair in result.failures] == [wrong_input]
        assert result.failures[0].causes[0].kind == kind


@pytest.mark.parametrize("fast_mode", [False, True], ids=["full", "fast"])
def test_correct_twins_pass(fast_mode):
    assert gradcheck(Square.apply, [_tensor((3, 4), 1)], fast_mode=fast_mode)
    assert gradcheck(Softplus.apply, [_tensor((5,), 2)], fast_mode=fast_mode)
    assert gradcheck(SinCos.apply, [_tensor((2, 3), 12)], fast_mode=fast_mode)
    assert gradcheck(lambda a, b: a - b, [_tensor((2, 3), 3), _tensor((2, 3), 4)], fast_mode=fast_mode)
    assert gradcheck(lambda x, b: x + b, [_tensor((4, 3), 5), _tensor((3,), 6)], fast_mode=fast_mode)


def test_multi_output_bug_is_pinned_to_the_output_whose_gradient_is_wrong():
    with pytest.raises(GradcheckError) as info:
        gradcheck(SinCosFlipsSecondSign.apply, [_tensor((2, 3), 12)])
    assert [(pair.output, pair.input) for pair in info.value.result.failures] == [(1, 0)]
    assert gradgradcheck(SinCos.apply, [_tensor((2, 3), 12)])


def test_factor_report_quotes_the_factor():
    with pytest.raises(GradcheckError, match=r"analytic = 0\.5 x numerical"):
        gradcheck(SquareForgetsTwo.apply, [_tensor((3,), 1)])
    with pytest.raises(GradcheckError, match="divided by 4, the size of an axis"):
        gradcheck(AddBiasMean.apply, [_tensor((4, 3), 5), _tensor((3,), 6)])


def test_transpose_bug_in_fast_mode_needs_random_cotangents():
    # With all-ones cotangents a reshape-for-transpose backward gives the right (uniform) answer.
    x = _tensor((3, 4), 2)
    ones_check = tg.grad((TransposeOnlyReshapes.apply(x) * 1.0).sum(), x)[0].data
    assert np.array_equal(ones_check, np.ones((3, 4)))
    assert not gradcheck(TransposeOnlyReshapes.apply, [x], fast_mode=True, raise_exception=False)


@pytest.mark.parametrize("fast_mode", [False, True], ids=["full", "fast"])
def test_kinks_are_skipped_not_failed(fast_mode):
    cases = [
        (lambda x: x.relu(), tg.tensor([-1.0, 0.0, 2.0], dtype=np.float64, requires_grad=True)),
        (lambda x: x.clip(0.0, 1.0), tg.tensor([0.0, 0.5, 1.0, 2.0], dtype=np.float64, requires_grad=True)),
        (MaxFirstIndex.apply, tg.tensor([[1.0, 1.0, 0.5], [0.0, 2.0, 3.0]], dtype=np.float64, requires_grad=True)),
    ]
    for fn, x in cases:
        result = check_gradients(fn, [x], fast_mode=fast_mode)
        assert result.passed, result.report()
        assert result.skipped >= 1
        assert "skipped: non-differentiable within eps" in result.report()
        assert gradcheck(fn, [x], fast_mode=fast_mode)


def test_kink_skipping_does_not_hide_a_real_bug():
    class ReLUTwice(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return np.maximum(x, 0.0)

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * (ctx.inputs[0] > 0) * 2.0  # planted factor 2 away from the kink

    x = tg.tensor([-1.0, 0.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    result = check_gradients(ReLUTwice.apply, [x])
    assert result.skipped == 1
    assert result.failures[0].failed == 2
    assert result.cause_kinds == ["constant_factor"]


def test_smooth_function_with_large_step_is_not_mistaken_for_a_kink():
    result = check_gradients(lambda x: x.exp(), [_tensor((4,), 3)], eps=0.2)
    assert result.skipped == 0
    assert result.cause_kinds == ["step_size"]


def test_inputs_untouched_and_float32_checked_in_float64():
    x = _tensor((3, 4), 1, np.float32)
    y = _tensor((3, 4), 2, np.float32)
    before_x, before_y = x.data.copy(), y.data.copy()
    array_x = x.data
    result = check_gradients(lambda a, b: (a * b).tanh(), [x, y])
    assert result.passed and result.upcast_inputs == [0, 1]
    assert "input 0 is float32: checked in a float64 copy" in result.report()
    assert x.data is array_x and x.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_array_equal(x.data, before_x)
    np.testing.assert_array_equal(y.data, before_y)
    assert x.grad is None and y.grad is None
    with pytest.raises(GradcheckError):
        gradcheck(SquareForgetsTwo.apply, [x])
    np.testing.assert_array_equal(x.data, before_x)


def test_integer_inputs_are_refused_clearly():
    with pytest.raises(TypeError, match="input 0 has integer dtype int64"):
        gradcheck(lambda t: t * 2.0, [tg.tensor([1, 2, 3])])
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2.0, [tg.tensor([1.0, 2.0])])


def test_integer_labels_next_to_a_checked_input_are_constants():
    logits = _tensor((4, 3), 1)
    labels = tg.tensor([0, 2, 1, 2])
    result = check_gradients(lambda z, t: F.cross_entropy(z, t), [logits, labels])
    assert result.passed and result.skipped_inputs == [1]
    assert "input 1 not checked (does not require grad)" in result.report()


def test_nondeterminism_detected_with_dropout():
    x = _tensor((4, 5), 1)
    with pytest.raises(GradcheckError, match="two forward passes at the same inputs differ") as info:
        gradcheck(lambda x: F.dropout(x, 0.5, training=True), [x])
    assert info.value.result.cause_kinds == ["nondeterministic"]
    assert gradcheck(lambda x: F.dropout(x, 0.5, training=False), [x])


def test_several_inputs_and_outputs_report_the_right_pair():
    a, b = _tensor((2, 3), 1), _tensor((2, 3), 2)

    def fn(a, b):
        return a * b, SquareForgetsTwo.apply(b), (a + b).sum(0)

    result = check_gradients(fn, [a, b])
    assert [(pair.output, pair.input) for pair in result.pairs] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]
    assert [(pair.output, pair.input) for pair in result.failures] == [(1, 1)]
    assert result.failures[0].failed == 6 and result.failures[0].compared == 36


def test_output_computed_without_graph_reports_missing_gradient():
    x = _tensor((3,), 1)
    result = check_gradients(lambda x: tg.Tensor(x.data * 2.0), [x])  # the graph is cut
    assert result.cause_kinds == ["missing_gradient"]


def test_structured_result_and_worst_entries():
    x = _tensor((3, 4), 1)
    result = check_gradients(SquareForgetsTwo.apply, [x])
    pair = result.failures[0]
    assert (pair.output_shape, pair.input_shape, pair.compared, pair.failed) == ((3, 4), (3, 4), 144, 12)
    errors = [entry.abs_error for entry in pair.worst]
    assert errors == sorted(errors, reverse=True) and len(errors) == 5
    top = pair.worst[0]
    assert top.numerical == pytest.approx(2 * top.analytic, rel=1e-6)
    assert top.rel_error == pytest.approx(0.5, rel=1e-6)
    assert np.max(np.abs(x.data)) == pytest.approx(top.abs_error, rel=1e-6)


def test_raise_exception_false_returns_false_and_positional_signature_works():
    x = _tensor((3,), 1)
    assert gradcheck(SquareForgetsTwo.apply, [x], 1e-6, 1e-5, 1e-3, False) is False
    assert gradcheck(Square.apply, x, 1e-6, 1e-5, 1e-3, True) is True
    assert tg.gradcheck is gradcheck


def test_fast_mode_costs_a_few_forwards():
    calls = []

    def counted(x):
        calls.append(1)
        return x.tanh()

    x = _tensor((20, 20), 1)
    assert gradcheck(counted, [x], fast_mode=True)
    fast = len(calls)
    calls.clear()
    assert gradcheck(counted, [x])
    assert (fast, len(calls)) == (6, 802)  # the numbers docs/gradcheck.md quotes


def test_gradgradcheck_passes_correct_ops_and_catches_second_order_bugs():
    x = _tensor((3, 4), 1)
    assert gradgradcheck(Softplus.apply, [x])
    assert gradgradcheck(lambda x, y: (x * y).sin(), [x, _tensor((3, 4), 2)], fast_mode=True)
    with pytest.raises(GradcheckError, match="second order") as info:
        gradgradcheck(SinConstantBackward.apply, [x])
    assert info.value.result.cause_kinds == ["missing_gradient"]
    assert "NumPy arrays" in str(info.value)

    class CubeWithBadSquare(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x ** 3

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 3.0 * SquareForgetsTwo.apply(ctx.inputs[0])  # first order right

    assert gradcheck(CubeWithBadSquare.apply, [x])
    for fast_mode in (False, True):
        with pytest.raises(GradcheckError) as info:
            gradgradcheck(CubeWithBadSquare.apply, [x], fast_mode=fast_mode)
        assert info.value.result.cause_kinds == ["constant_factor"] and info.value.result.order == 2


def test_constant_output_batch_of_one():
    result = check_gradients(CenterForgetsMean.apply, [_tensor((1, 3), 1)])
    assert result.cause_kinds == ["constant_output"]
    assert "batch of one" in result.report()
    assert check_gradients(CenterForgetsMean.apply, [_tensor((1, 3), 1)]).failures[0].failed == 3
    assert gradcheck(lambda x: x - x.mean(0, keepdims=True), [_tensor((1, 3), 1)])


def test_forgotten_relu_mask_is_named():
    class ReLUNoMask(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return np.maximum(x, 0.0)

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out  # planted: the x > 0 mask is missing

    result = check_gradients(ReLUNoMask.apply, [tg.tensor([-1.5, 0.5, -0.3, 2.0], dtype=np.float64,
                                                          requires_grad=True)])
    assert result.cause_kinds == ["missing_mask"] and result.failures[0].failed == 2
    fast = check_gradients(ReLUNoMask.apply, [_tensor((6,), 3)], fast_mode=True)
    assert fast.cause_kinds == ["unexplained"] and "rerun without fast_mode" in fast.report()


def test_normalising_a_batch_of_one_passes_but_is_noted():
    def batch_norm_by_hand(x):
        centred = x - x.mean(0, keepdims=True)
        return centred / ((centred * centred).mean(0, keepdims=True) + 1e-5).sqrt()

    result = check_gradients(batch_norm_by_hand, [_tensor((1, 4), 1)])
    assert result.passed
    assert any("does not change when any checked input moves" in note for note in result.notes)
    assert not check_gradients(batch_norm_by_hand, [_tensor((3, 4), 1)]).notes


class ScaledSquare(tg.Function):
    """x^2 whose backward is off by the constant passed in (1.0 would be correct)."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 2.0 * ctx.inputs[0] * ctx.factor, None


class PermuteOnlyReshapes(tg.Function):
    @staticmethod
    def forward(ctx, x, axes):
        return np.ascontiguousarray(x.transpose(axes))

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.inputs[0].shape), None  # planted: should undo the permutation


@settings(max_examples=15)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
       factor=st.floats(-4.0, 4.0).filter(lambda c: min(abs(c - 1), abs(c), abs(c + 1)) > 0.05),
       fast_mode=st.booleans())
def test_any_constant_factor_is_found_and_quoted(shape, factor, fast_mode):
    x = tg.tensor(np.random.default_rng(len(shape)).uniform(0.5, 2.0, shape), requires_grad=True)
    result = check_gradients(lambda t: ScaledSquare.apply(t, factor), [x], fast_mode=fast_mode)
    assert result.cause_kinds == ["constant_factor"]
    assert f"analytic = {factor:.3g} x numerical" in result.report()


@settings(max_examples=15)
@given(shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=3), data=st.data())
def test_any_permutation_that_backward_only_reshapes_is_found(shape, data):
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    x = tg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    moved = np.arange(x.data.size).reshape(shape).transpose(axes).reshape(-1)
    result = check_gradients(lambda t: PermuteOnlyReshapes.apply(t, axes), [x])
    if np.array_equal(moved, np.arange(x.data.size)):
        assert result.passed  # size-1 axes: this "transpose" moves nothing, so reshape is right
    else:
        assert result.cause_kinds == ["transposed"], result.report()
