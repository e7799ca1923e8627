"""Forward-mode AD: the dual-level API, and every primitive's jvp rule against reverse mode and finite differences.

The property test runs every entry of tests/op_specs.py with random tangents v and cotangents u
and checks two independent things: <u, J v> (forward mode) equals <J^T u, v> (reverse mode),
and J v equals the central difference (f(x + h v) - f(x - h v)) / 2h. A coverage test makes
sure the table (plus the few cases below) reaches every primitive Function, and another fails
as soon as a primitive Function has no jvp.
"""
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.ops
from tinygrad_edu.autograd import forward_ad as fwAD
from tinygrad_edu.autograd import function
from tinygrad_edu.autograd.function import Function
from tinygrad_edu.checking import check_gradients
from op_specs import OP_SPECS
from planted_bugs import Square, SquareJvpForgetsTwo

H = 1e-6


def _outputs(result):
    return list(result) if isinstance(result, tuple | list) else [result]


def _primitives():
    """Every Function subclass defined in a module of tinygrad_edu.ops (found by walking the package)."""
    found = {}
    for info in pkgutil.iter_modules(tinygrad_edu.ops.__path__):
        module = importlib.import_module(f"tinygrad_edu.ops.{info.name}")
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Function) and value.__module__ == module.__name__:
                found[name] = value
    return found


def _forward_and_reverse(fn, arrays, rng):
    """(outputs, J v per output, J^T u per input, u per output, v per input) at float64 arrays."""
    xs = [tg.tensor(a, requires_grad=True) for a in arrays]
    vs = [rng.standard_normal(a.shape) for a in arrays]
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, tg.tensor(v)) for x, v in zip(xs, vs)]
        outs = _outputs(fn(*duals))
        tangents = [fwAD.unpack_dual(out).tangent for out in outs]
    jvps = [np.zeros(out.shape) if t is None else t.data for out, t in zip(outs, tangents)]
    us = [rng.standard_normal(out.shape) for out in outs]
    live = [(out, tg.tensor(u)) for out, u in zip(outs, us) if out.requires_grad]
    grads = [None] * len(xs)
    if live:
        grads = tg.autograd.grad([o for o, _ in live], xs, [u for _, u in live], allow_unused=True)
    vjps = [np.zeros(a.shape) if g is None else g.data for a, g in zip(arrays, grads)]
    return outs, jvps, vjps, us, vs


def _central_difference(fn, arrays, vs):
    def at(sign):
        return [o.data for o in _outputs(fn(*(tg.tensor(a + sign * H * v) for a, v in zip(arrays, vs))))]
    return [(hi - lo) / (2 * H) for hi, lo in zip(at(1), at(-1))]


@pytest.mark.parametrize("spec", OP_SPECS, ids=repr)
def test_forward_mode_agrees_with_reverse_mode_and_finite_differences(spec):
    @settings(max_examples=8)
    @given(values=spec.inputs(), seed=st.integers(0, 2 ** 16))
    def check(values, seed):
        arrays = [np.asarray(a, dtype=np.float64) for a in values]
        outs, jvps, vjps, us, vs = _forward_and_reverse(spec.fn, arrays, np.random.default_rng(seed))
        forward = sum(float(np.sum(u * jv)) for u, jv in zip(us, jvps))
        reverse = sum(float(np.sum(g * v)) for g, v in zip(vjps, vs))
        scale = 1.0 + sum(float(np.abs(u).sum() * np.abs(jv).sum()) for u, jv in zip(us, jvps))
        assert abs(forward - reverse) <= 1e-9 * scale, f"<u, J v> = {forward} but <J^T u, v> = {reverse}"
        for k, (jv, numerical) in enumerate(zip(jvps, _central_difference(spec.fn, arrays, vs))):
            np.testing.assert_allclose(jv, numerical, atol=1e-5, rtol=1e-4, err_msg=f"J v of output {k}")
    check()


def _cast_round_trip(x):
    return x.to(np.float32).to(np.float64)


# Primitives the table reaches only through another op's backward, or through a cast that
# central differences cannot resolve: <u, J v> = <J^T u, v> still holds exactly for them.
EXTRA_CASES = {"cast_round_trip": (_cast_round_trip, [(3, 2)])}


@pytest.mark.parametrize("name", sorted(EXTRA_CASES))
def test_forward_mode_agrees_with_reverse_mode_on_the_extra_cases(name):
    fn, shapes = EXTRA_CASES[name]
    rng = np.random.default_rng(5)
    arrays = [rng.uniform(-1, 1, s) for s in shapes]
    _, jvps, vjps, us, vs = _forward_and_reverse(fn, arrays, rng)
    forward = sum(float(np.sum(u * jv)) for u, jv in zip(us, jvps))
    reverse = sum(float(np.sum(g * v)) for g, v in zip(vjps, vs))
    np.testing.assert_allclose(forward, reverse, rtol=1e-6)
    np.testing.assert_allclose(jvps[0], vs[0], rtol=1e-6)  # a cast is the identity up to rounding


def _functions_in_graph(outputs):
    seen, stack = set(), [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(producer for producer, _ in node.next_functions)
    return {node.function.__name__ for node in seen}


def test_the_property_tests_reach_every_primitive():
    reached = set()
    rng = np.random.default_rng(0)
    for spec in OP_SPECS:
        arrays = _example_inputs(spec, rng)
        reached |= _functions_in_graph(_outputs(spec.fn(*(tg.tensor(a, requires_grad=True) for a in arrays))))
    for fn, shapes in EXTRA_CASES.values():
        arrays = [rng.uniform(-1, 1, s) for s in shapes]
        reached |= _functions_in_graph(_outputs(fn(*(tg.tensor(a, requires_grad=True) for a in arrays))))
    missing = sorted(set(_primitives()) - reached)
    assert not missing, f"no entry of tests/op_specs.py (or EXTRA_CASES) runs these primitives: {missing}"


def _example_inputs(spec, rng):
    """One deterministic input per spec, drawn through the spec's own strategy."""
    found = []

    @settings(max_examples=1, database=None)
    @given(spec.inputs())
    def take(values):
        found.append([np.asarray(a, dtype=np.float64) for a in values])
    take()
    return found[0]


@pytest.mark.parametrize("name", sorted(_primitives()))
def test_every_primitive_has_a_jvp_rule_with_a_docstring(name):
    cls = _primitives()[name]
    rule = cls.__dict__.get("jvp")
    assert rule is not None, f"{name} defines forward and backward but no jvp(ctx, *tangents)"
    doc = inspect.getdoc(rule.__func__ if isinstance(rule, staticmethod) else rule)
    assert doc and "\n" not in doc, f"{name}.jvp needs a one-line docstring stating the derivative"


def test_make_dual_and_unpack_dual():
    x = tg.tensor([1.0, 2.0, 3.0])
    v = tg.tensor([1.0, 0.0, -1.0])
    with fwAD.dual_level() as level:
        assert level == 0
        dual = fwAD.make_dual(x, v)
        out = dual * dual
        unpacked = fwAD.unpack_dual(out)
        assert isinstance(unpacked, fwAD.UnpackedDualTensor) and unpacked._fields == ("primal", "tangent")
        np.testing.assert_array_equal(unpacked.primal.data, [1.0, 4.0, 9.0])
        np.testing.assert_array_equal(unpacked.tangent.data, [2.0, 0.0, -6.0])
        assert fwAD.unpack_dual(unpacked.primal).tangent is None  # the primal carries no tangent
        assert fwAD.unpack_dual(x).tangent is None  # make_dual leaves its argument alone
        assert fwAD.unpack_dual(dual).tangent is v
    assert fwAD.unpack_dual(out).tangent is None  # leaving the level drops every tangent
    assert fwAD.unpack_dual(out).primal is out
    assert function.forward_rule is None  # outside a level Function.apply pays one check


def test_forward_mode_under_no_grad_and_with_plain_number_operands():
    with tg.no_grad(), fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor([0.5, 2.0]), tg.tensor([1.0, 1.0]))
        out = (2.0 ** dual + 3.0 / dual - dual * 4.0).exp()
        tangent = fwAD.unpack_dual(out).tangent
    x = np.array([0.5, 2.0])
    expected = np.exp(2 ** x + 3 / x - 4 * x) * (np.log(2) * 2 ** x - 3 / x ** 2 - 4)
    np.testing.assert_allclose(tangent.data, expected, rtol=1e-6)
    assert not out.requires_grad and not tangent.requires_grad


def test_a_broadcast_input_carries_its_tangent_broadcast():
    with fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor([1.0, 2.0, 3.0]), tg.tensor([1.0, 0.0, 2.0]))
        out = dual * tg.ones(2, 3) + tg.zeros(2, 1)
        tangent = fwAD.unpack_dual(out).tangent
    np.testing.assert_array_equal(tangent.data, [[1.0, 0.0, 2.0]] * 2)


def test_make_dual_is_differentiable_and_tangents_are_too():
    x = tg.tensor([0.3, -0.4], dtype=np.float64, requires_grad=True)
    v = tg.tensor([1.0, 2.0], dtype=np.float64)
    with fwAD.dual_level():
        out = fwAD.make_dual(x, v).sin().sum()
        primal, tangent = fwAD.unpack_dual(out)
    (grad,) = tg.autograd.grad(primal, x, retain_graph=True)
    np.testing.assert_allclose(grad.data, np.cos(x.data))
    # d/dx <grad sin, v> = -sin(x) * v: the tangent is differentiable when the primal requires grad
    (second,) = tg.autograd.grad(tangent, x)
    np.testing.assert_allclose(second.data, -np.sin(x.data) * v.data)


def test_custom_function_jvp_and_the_error_without_one():
    class NoRule(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 2

    with fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor([2.0]), tg.tensor([1.0]))
        assert fwAD.unpack_dual(Square.apply(dual)).tangent.item() == 4.0
        NoRule.apply(tg.tensor([1.0]))  # no tangent on the way: no rule needed
        with pytest.raises(RuntimeError, match="You must implement the jvp function for custom autograd.Function"):
            NoRule.apply(dual)
    assert function.forward_rule is None


def test_tangent_of_the_wrong_shape_from_a_rule_is_an_error():
    class Wrong(Square):
        @staticmethod
        def jvp(ctx, tangent):
            return tangent.sum()[None].broadcast_to((4,))

    with fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))
        with pytest.raises(RuntimeError, match=r"Wrong.jvp returned a tangent of shape \(4,\) for an output of shape"):
            Wrong.apply(dual)


def _api_error(call):
    with pytest.raises((RuntimeError, ValueError, TypeError)) as info:
        call()
    return type(info.value), str(info.value)


API_ERRORS = {
    "no_level": lambda ad, T: ad.make_dual(T([1.0]), T([1.0])),
    "nested": lambda ad, T: _nested(ad),
    "wrong_size": lambda ad, T: _in_level(ad, lambda: ad.make_dual(T([1.0, 2.0, 3.0]), T([1.0, 2.0]))),
    "already_dual": lambda ad, T: _in_level(ad, lambda: ad.make_dual(ad.make_dual(T([1.0]), T([1.0])), T([1.0]))),
    "exit_without_level": lambda ad, T: ad.exit_dual_level(),
}


def _nested(ad):
    with ad.dual_level(), ad.dual_level():
        pass


def _in_level(ad, call):
    with ad.dual_level():
        call()


@pytest.mark.parametrize("case", sorted(API_ERRORS))
def test_api_errors_match_pytorch(case):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as torch_ad
    ours = _api_error(lambda: API_ERRORS[case](fwAD, tg.tensor))
    assert function.forward_rule is None  # an error inside a level still ends it
    if case == "exit_without_level":
        assert ours[0] is RuntimeError and "forward AD level" in ours[1]
        return  # torch's native exit without a level fails with an internal message
    theirs = _api_error(lambda: API_ERRORS[case](torch_ad, torch.tensor))
    assert ours == theirs


def test_dtype_errors_name_the_argument():
    with fwAD.dual_level():
        with pytest.raises(ValueError, match="Expected primal to be floating point or complex, but got: int64"):
            fwAD.make_dual(tg.tensor([1, 2]), tg.tensor([1.0, 2.0]))
        with pytest.raises(TypeError, match="the tangent must be a Tensor"):
            fwAD.make_dual(tg.tensor([1.0]), [1.0])


def test_matches_torch_forward_ad_on_a_small_network():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as torch_ad
    rng = np.random.default_rng(3)
    x, w1, w2, v = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal((2, 5)), \
        rng.standard_normal((4, 3))
    labels = np.array([0, 1, 1, 0])

    def net(lib, functional, t, T):
        hidden = functional.linear(t, T(w1)).tanh()
        return functional.cross_entropy(functional.linear(hidden, T(w2)), T(labels))

    with fwAD.dual_level():
        ours = fwAD.unpack_dual(net(tg, tg.functional, fwAD.make_dual(tg.tensor(x), tg.tensor(v)), tg.tensor))
    with torch_ad.dual_level():
        theirs = torch_ad.unpack_dual(net(torch, torch.nn.functional,
                                          torch_ad.make_dual(torch.tensor(x), torch.tensor(v)), torch.tensor))
    np.testing.assert_allclose(ours.primal.data, theirs.primal.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.tangent.data, theirs.tangent.numpy(), rtol=1e-10)


def test_gradcheck_checks_forward_mode_too():
    x = tg.tensor([0.5, -1.5, 2.0], dtype=np.float64, requires_grad=True)
    assert tg.gradcheck(SquareJvpForgetsTwo.apply, [x])  # backward alone is right
    result = check_gradients(SquareJvpForgetsTwo.apply, [x], check_forward_ad=True)
    assert not result.passed and result.cause_kinds == ["forward_ad"]
    assert "forward mode: output 0 (3,) w.r.t. input 0 (3,): 3 of 9 Jacobian entries differ" in result.report()
    assert tg.gradcheck(Square.apply, [x], check_forward_ad=True)
    assert tg.gradcheck(lambda t: t.relu().log_softmax(0), [x], check_forward_ad=True)


def test_trace_forward_records_each_tangent_in_forward_order():
    x = tg.tensor(2.0, dtype=np.float64, name="x")
    y = tg.tensor(3.0, dtype=np.float64, name="y")
    with fwAD.dual_level(), tg.trace_forward() as trace:
        dual = fwAD.make_dual(x, tg.tensor(1.0, dtype=np.float64))
        f = (dual * y).sin() + dual
    assert [(s.op, s.inputs) for s in trace.steps] == [
        ("make_dual", ("x",)), ("Mul", ("#0",)), ("Sin", ("#1",)), ("Add", ("#2", "#0"))]
    np.testing.assert_allclose([s.tangent.item() for s in trace.steps], [1.0, 3.0, 3 * np.cos(6), 3 * np.cos(6) + 1])
    np.testing.assert_allclose(trace.steps[-1].value, f.data)
    assert str(trace).splitlines()[0].split() == ["step", "op", "reads", "value", "tangent"]
    assert fwAD.tracer is None and len(trace) == 4
