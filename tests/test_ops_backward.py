"""Backprop equals the numerical gradient for every op in op_specs, plus the kink conventions.

Every example is checked in float64 through `tinygrad_edu.testing.assert_gradients_match`
(the same helper users get): the gradient of sum(f(x) * c) for a random cotangent c, and the
full Jacobian whenever it is small, with inputs drawn off kinks and domain edges. Multi-input
ops are also checked with each input constant in turn, and random compositions of ops check
fan-out and broadcasting together. At kinks the numerical gradient is meaningless, so the
conventions are pinned by hand (and against PyTorch in test_ops_torch.py).
"""
import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from op_specs import OP_SPECS, OpSpec
from tinygrad_edu.testing import arrays, assert_gradients_match, broadcastable_shapes


def _examples(fraction: int) -> int:
    return max(4, settings().max_examples // fraction)


@pytest.mark.parametrize("spec", OP_SPECS, ids=str)
def test_backprop_matches_numerical_gradient(spec: OpSpec):
    assert_gradients_match(spec.fn, spec.inputs(), max_examples=_examples(4))


CONSTANT_CASES = [(spec, position) for spec in OP_SPECS if spec.arity > 1 for position in range(spec.arity)]


@pytest.mark.parametrize("spec, constant", CONSTANT_CASES,
                         ids=[f"{spec.name}-input{position}_constant" for spec, position in CONSTANT_CASES])
def test_op_with_one_constant_input(spec: OpSpec, constant: int):
    """Only the other inputs require grad: needs_input_grad is honoured, and a constant operand
    of a broadcasting op is left to NumPy instead of getting a BroadcastTo node."""
    # A Tensor that does not require grad passes through assert_gradients_match unchanged.
    inputs = spec.inputs().map(lambda arrays: tuple(tg.tensor(a) if i == constant else a for i, a in enumerate(arrays)))
    assert_gradients_match(spec.fn, inputs, max_examples=_examples(6))


@pytest.mark.parametrize("spec", OP_SPECS, ids=str)
def test_gradients_keep_the_input_dtype(spec: OpSpec):
    @settings(max_examples=3)
    @given(spec.inputs())
    def check(arrays):
        tensors = [tg.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
        outputs = spec.fn(*tensors)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        tg.autograd.backward(list(outputs), [tg.ones_like(o) for o in outputs])
        for t in tensors:
            assert t.grad is not None and t.grad.dtype == np.float32 and t.grad.shape == t.shape
            assert not t.grad.requires_grad

    check()


UNARY = {
    "tanh": lambda t: t.tanh(), "sin": lambda t: t.sin(), "sigmoid": lambda t: t.sigmoid(),
    "softplus": lambda t: t.softplus(), "square": lambda t: t * t, "scale": lambda t: 0.5 * t,
    "sum_last": lambda t: t.sum(-1, keepdims=True) if t.ndim else t,
    "mean_first": lambda t: t.mean(0) if t.ndim else t,
}
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b}
STEP = st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)), st.integers(0, 99), st.integers(0, 99))


def _run_program(a, b, program):
    """Apply the steps to a growing list of values; operands are picked from all earlier values,
    so values are reused (fan-out) and shapes meet through broadcasting."""
    values = [a, b]
    for name, i, j in program:
        x, y = values[i % len(values)], values[j % len(values)]
        if name in UNARY:
            values.append(UNARY[name](x))
        else:
            try:
                values.append(BINARY[name](x, y))
            except ValueError:  # shapes reduced apart no longer broadcast: skip the step
                continue
    return values[-1] + values[0].sum() * values[1].sum()


def test_random_compositions_with_fan_out_and_broadcasting():
    pairs = broadcastable_shapes(2).flatmap(lambda shapes: st.tuples(*(arrays(s) for s in shapes)))
    program = st.lists(STEP, min_size=1, max_size=6)
    arguments = st.tuples(pairs, program).map(lambda drawn: (*drawn[0], drawn[1]))
    assert_gradients_match(_run_program, arguments, max_examples=_examples(1))


def _grad(fn, values):
    x = tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.data


def test_kink_conventions_match_pytorch():
    assert _grad(lambda x: x.relu(), [-1.0, 0.0, 2.0]).tolist() == [0.0, 0.0, 1.0]
    assert _grad(lambda x: x.abs(), [-1.0, 0.0, 2.0]).tolist() == [-1.0, 0.0, 1.0]
    assert _grad(lambda x: x.leaky_relu(0.1), [-1.0, 0.0, 2.0]).tolist() == [0.1, 0.1, 1.0]
    # clip passes the gradient at its bounds (lo <= x <= hi), blocks it strictly outside
    assert _grad(lambda x: x.clip(-1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0]).tolist() == [0, 1, 1, 1, 0]


def test_max_min_ties_share_the_gradient_evenly():
    assert _grad(lambda x: x.max(), [1.0, 3.0, 3.0, 3.0]).tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 3])
    assert _grad(lambda x: x.min(), [2.0, 1.0, 1.0]).tolist() == [0.0, 0.5, 0.5]
    rows = _grad(lambda x: x.amax(1), [[5.0, 5.0], [1.0, 2.0]])
    assert rows.tolist() == [[0.5, 0.5], [0.0, 1.0]]
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tg.tensor([1.0, 5.0, 0.0], requires_grad=True)
    a.maximum(b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0] and b.grad.tolist() == [0.5, 1.0, 0.0]
    a.grad = b.grad = None
    a.minimum(b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0] and b.grad.tolist() == [0.5, 0.0, 1.0]


def test_repeated_indices_accumulate():
    x = tg.tensor(np.arange(4.0), requires_grad=True)
    (x[[0, 0, 3, 0]] * tg.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [7.0, 0.0, 0.0, 3.0]
    y = tg.tensor(np.ones((2, 2)), requires_grad=True)
    y[[1, 1], [0, 0]].sum().backward()
    assert y.grad.tolist() == [[0.0, 0.0], [2.0, 0.0]]


def test_broadcast_gradient_sums_over_stretched_and_new_axes():
    a = tg.tensor(np.ones((3, 1)), requires_grad=True)
    b = tg.tensor(np.ones(4), requires_grad=True)
    s = tg.tensor(2.0, requires_grad=True, dtype=np.float64)
    (a * b * s).sum().backward()
    assert a.grad.tolist() == [[8.0]] * 3
    assert b.grad.tolist() == [6.0] * 4
    assert s.grad.shape == () and s.grad.item() == 12.0


def test_checker_catches_a_backward_that_only_reshapes_a_transpose():
    """The random cotangent matters: with sum(f(x)) this wrong backward would pass."""
    class BadTranspose(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x.T.copy()

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out.reshape(ctx.inputs[0].shape)

    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    BadTranspose.apply(x).sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2  # indistinguishable from right under a uniform cotangent
    quick = settings(max_examples=3, phases=[Phase.generate])  # no shrinking: the failure is all we need
    with pytest.raises(tg.GradcheckError):
        assert_gradients_match(BadTranspose.apply, arrays((2, 3)), full_jacobian=False, hypothesis_settings=quick)
