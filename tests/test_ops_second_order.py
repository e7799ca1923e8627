"""Second derivatives: every op's backward is itself differentiable, and correctly so.

Hessian-vector products from double backward (create_graph=True) are compared with central
differences of the first derivative for every OpSpec (piecewise ones off their kinks, where
their second derivative is zero); gradgradcheck (full Jacobian of the first derivative) runs on
the smooth ones with small inputs; Newton's method, which needs f'' from autograd, converges to
known roots and minima; and a few closed forms pin higher orders.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from op_specs import OP_SPECS, OpSpec

SMOOTH = [spec for spec in OP_SPECS if spec.smooth]
KINKED = [spec for spec in OP_SPECS if not spec.smooth]


def _outputs(result):
    return list(result) if isinstance(result, tuple | list) else [result]


def _first_derivatives(spec: OpSpec, arrays, cotangents, create_graph: bool):
    xs = [tg.tensor(a, requires_grad=True) for a in arrays]
    outputs = _outputs(spec.fn(*xs))
    grads = tg.grad(outputs, xs, [tg.tensor(c) for c in cotangents], create_graph=create_graph, allow_unused=True)
    return xs, [g if g is not None else tg.zeros_like(x) for g, x in zip(grads, xs)]


# Piecewise ops (relu, abs, clip, max, ...) are included: off their kinks the second derivative
# exists (it is zero), and double backward through their masks must say so.
@pytest.mark.parametrize("spec", SMOOTH + KINKED, ids=str)
def test_hessian_vector_product_matches_finite_differences(spec: OpSpec):
    @settings(max_examples=max(4, settings().max_examples // 6))
    @given(spec.inputs(), st.integers(0, 2**32 - 1))
    def check(arrays, seed):
        rng = np.random.default_rng(seed)
        cotangents = [rng.standard_normal(o.shape) for o in _outputs(spec.fn(*[tg.tensor(a) for a in arrays]))]
        directions = [rng.standard_normal(a.shape) for a in arrays]
        xs, grads = _first_derivatives(spec, arrays, cotangents, create_graph=True)
        if any(g.requires_grad for g in grads):
            projected = sum(((g * tg.tensor(u)).sum() for g, u in zip(grads, directions) if g.requires_grad),
                            tg.tensor(0.0, dtype=np.float64))
            hvp = [h if h is not None else tg.zeros_like(x)
                   for h, x in zip(tg.grad(projected, xs, allow_unused=True), xs)]
        else:  # the first derivative does not depend on x at all: the Hessian is zero
            hvp = [tg.zeros_like(x) for x in xs]
        step = 1e-5
        _, upper = _first_derivatives(spec, [a + step * u for a, u in zip(arrays, directions)], cotangents, False)
        _, lower = _first_derivatives(spec, [a - step * u for a, u in zip(arrays, directions)], cotangents, False)
        for h, up, low in zip(hvp, upper, lower):
            np.testing.assert_allclose(h.data, (up.data - low.data) / (2 * step), rtol=1e-4, atol=1e-6)

    check()


def _small(arrays) -> bool:
    return sum(a.size for a in arrays) <= 32


@pytest.mark.parametrize("spec", SMOOTH, ids=str)
def test_gradgradcheck_on_small_inputs(spec: OpSpec):
    @settings(max_examples=2)
    @given(spec.inputs().filter(_small))
    def check(arrays):
        inputs = [tg.tensor(a, requires_grad=True) for a in arrays]
        assert tg.gradgradcheck(spec.fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)

    check()


def _derivatives(f, x: float):
    """f(x), f'(x), f''(x) for a scalar function, the derivatives by double backward."""
    t = tg.tensor(x, requires_grad=True, dtype=np.float64)
    y = f(t)
    (dy,) = tg.grad(y, t, create_graph=True)
    (d2y,) = tg.grad(dy, t)
    return y.item(), dy.item(), d2y.item()


def test_newton_finds_a_root_with_autograd_first_derivative():
    x = 2.0
    for _ in range(8):
        value, slope, _ = _derivatives(lambda t: t ** 3 - 2 * t - 5, x)
        x -= value / slope
    assert x == pytest.approx(2.0945514815423265, abs=1e-14)  # Newton's own classic root


@pytest.mark.parametrize("f, start, minimum", [
    (lambda t: t ** 4 - 2 * t ** 2, 2.0, 1.0),                 # DeZero's example: minimum at x = 1
    (lambda t: t.exp() - 2 * t, 0.0, math.log(2.0)),            # e^x = 2
    (lambda t: -t.sigmoid().log() + 0.1 * t * t, 0.0, None),    # regularised logistic loss: no closed form
])
def test_newton_minimises_with_autograd_second_derivative(f, start, minimum):
    x = start
    for _ in range(30):
        _, slope, curvature = _derivatives(f, x)
        x -= slope / curvature
    _, slope, curvature = _derivatives(f, x)
    assert abs(slope) < 1e-12 and curvature > 0
    if minimum is not None:
        assert x == pytest.approx(minimum, abs=1e-12)


def test_higher_order_derivatives_of_closed_forms():
    x = tg.tensor([0.3, -1.2], requires_grad=True, dtype=np.float64)
    (d1,) = tg.grad((x ** 3).sum(), x, create_graph=True)
    (d2,) = tg.grad(d1.sum(), x, create_graph=True)
    (d3,) = tg.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.data, 3 * x.data ** 2)
    np.testing.assert_allclose(d2.data, 6 * x.data)
    np.testing.assert_allclose(d3.data, [6.0, 6.0])
    s = 1 / (1 + np.exp(-x.data))
    (g,) = tg.grad(x.sigmoid().sum(), x, create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, s * (1 - s) * (1 - 2 * s), rtol=1e-12)
    t = np.tanh(x.data)
    (g,) = tg.grad(x.tanh().sum(), x, create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, -2 * t * (1 - t * t), rtol=1e-12)
