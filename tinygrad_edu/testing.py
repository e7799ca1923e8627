"""Property testing for your own ops: Hypothesis strategies and a one-line gradient check.

Layer L4 (imports tensor, gradcheck). Hypothesis is a test-time dependency, so this module is
imported explicitly (`from tinygrad_edu import testing`), never by `tinygrad_edu/__init__.py`.
Strategies draw shapes (0-d and size-1 axes included), broadcastable shape tuples, arrays and
tensors, with values steered away from kinks and domain edges. `assert_gradients_match` checks
backprop against central differences for every drawn example, seeding the check with a random
cotangent c (the gradient of sum(f(x) * c), never of sum(f(x))) and, for small ops, the full
Jacobian. `gradients_match` is its decorator form. The project's own op tests use these same
helpers. See docs/custom_functions.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .gradcheck import gradcheck
from ._tensor import Tensor

__all__ = ["arrays", "assert_gradients_match", "away_from", "broadcastable_shapes", "distinct_arrays", "floats",
           "gradients_match", "positive", "shapes", "tensors"]

ShapeArg = tuple[int, ...] | st.SearchStrategy


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy:
    """Array shapes, 0-d `()` and size-1 axes included by default (they break broadcasting code)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4, signature: str | None = None) -> st.SearchStrategy:
    """Tuples of `num_shapes` shapes that broadcast together (or fit a gufunc `signature`,
    e.g. "(m,n),(n,p)->(m,p)" for batched matmul); the result shape is left out."""
    if signature is None:
        strategy = hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                                     min_side=min_side, max_side=max_side)
    else:
        strategy = hnp.mutually_broadcastable_shapes(signature=signature, min_dims=min_dims, max_dims=max_dims,
                                                     min_side=min_side, max_side=max_side)
    return strategy.map(lambda drawn: tuple(drawn.input_shapes))


def floats(min_value: float = -3.0, max_value: float = 3.0, width: Literal[16, 32, 64] = 64) -> st.SearchStrategy:
    """Finite floats in [min_value, max_value]: no nan, no inf, no subnormals."""
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=width)


def away_from(points: Sequence[float], margin: float = 0.1, min_value: float = -3.0,
              max_value: float = 3.0) -> st.SearchStrategy:
    """Floats in [min_value, max_value] at least `margin` from every point in `points`.

    For kinks (relu and abs at 0, clip bounds) and domain edges (log and division at 0):
    a finite difference of step eps < margin then never crosses the point. A value drawn too
    close is pushed out to the nearer side instead of rejected, so Hypothesis never starves.
    """
    points = tuple(float(p) for p in points)

    def push_out(x: float) -> float:
        for p in points:
            if abs(x - p) < margin:
                x = p + margin if x >= p else p - margin
        return x

    def far_enough(x: float) -> bool:
        return min_value <= x <= max_value and all(abs(x - p) >= margin * 0.999 for p in points)

    return floats(min_value, max_value).map(push_out).filter(far_enough)


def positive(min_value: float = 0.1, max_value: float = 3.0) -> st.SearchStrategy:
    """Floats in [min_value, max_value], min_value > 0: inputs of log, sqrt, division, pow bases."""
    if min_value <= 0:
        raise ValueError(f"positive() needs min_value > 0, got {min_value}")
    return floats(min_value, max_value)


def arrays(shape: ShapeArg = (), dtype: Any = np.float64,
           elements: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """NumPy arrays of `shape` (a tuple or a strategy such as `shapes()`); float values in [-3, 3]
    unless `elements` says otherwise."""
    dtype = np.dtype(dtype)
    if elements is None:
        elements = floats(width=32 if dtype == np.float32 else 64) if dtype.kind == "f" else None
    return hnp.arrays(dtype, shape, elements=elements)


def distinct_arrays(shapes: Sequence[tuple[int, ...]] | st.SearchStrategy, min_gap: float = 0.05,
                    min_value: float = -3.0, max_value: float = 3.0) -> st.SearchStrategy:
    """A tuple of float64 arrays, one per shape, whose elements all differ by at least `min_gap`.

    For ops whose kinks are ties (max, min, maximum, minimum): no two elements, within one
    array or across arrays, come closer than `min_gap`, so a finite difference cannot reorder them.
    """
    shape_strategy = shapes if isinstance(shapes, st.SearchStrategy) else st.just(tuple(map(tuple, shapes)))

    @st.composite
    def build(draw: Any) -> tuple[np.ndarray, ...]:
        chosen = draw(shape_strategy)
        sizes = [int(np.prod(s)) for s in chosen]
        total = sum(sizes)
        span = max_value - min_value
        if total > 1 and min_gap * (total - 1) > span:
            raise ValueError(f"distinct_arrays: {total} values {min_gap} apart do not fit in "
                             f"[{min_value}, {max_value}]")
        # Sorted values: equal gaps of min_gap plus random slack spread over the free room.
        slack = draw(hnp.arrays(np.float64, (total + 1,), elements=floats(0.0, 1.0)))
        room = span - min_gap * max(total - 1, 0)
        steps = slack / max(slack.sum(), 1e-12) * room
        values = min_value + steps[0] + np.arange(total) * min_gap + np.cumsum(np.r_[0.0, steps[1:total]])
        order = draw(st.permutations(range(total))) if total > 1 else [0] * total
        values = np.clip(values[list(order)], min_value, max_value)
        pieces, start = [], 0
        for shape, size in zip(chosen, sizes):
            pieces.append(values[start:start + size].reshape(shape))
            start += size
        return tuple(pieces)

    return build()


def tensors(shape: ShapeArg = (), dtype: Any = np.float64, elements: st.SearchStrategy | None = None,
            requires_grad: bool = False) -> st.SearchStrategy:
    """Tensors over `arrays(shape, dtype, elements)`; requires_grad only makes sense for floats."""
    return arrays(shape, dtype, elements).map(lambda a: Tensor(a, requires_grad=requires_grad, dtype=a.dtype))


def _as_input(value: Any) -> Any:
    """Arrays become float64 leaves that require grad; tensors and other arguments pass through."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return Tensor(value, dtype=np.float64, requires_grad=True)
    return value


def _outputs(result: Any) -> list[Tensor]:
    return list(result) if isinstance(result, tuple | list) else [result]


def _check_example(op: Callable[..., Any], values: Sequence[Any], seed: int, eps: float, atol: float, rtol: float,
                   full_jacobian: bool | None, max_jacobian: int) -> None:
    inputs = [_as_input(v) for v in values]
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("assert_gradients_match: no drawn input is a float array or a tensor that requires grad")
    outputs = _outputs(op(*inputs))
    if not outputs:
        raise ValueError("assert_gradients_match: the op returned no outputs; it must return a Tensor or a "
                         "non-empty tuple of Tensors")
    rng = np.random.default_rng(seed)
    # A random cotangent per output: a backward that permutes or mis-scales grad_output can
    # still pass a check against sum(f(x)), never one against sum(f(x) * c) for random c.
    cotangents = [rng.standard_normal(o.shape) for o in outputs]

    def projected(*xs: Any) -> Tensor:
        terms = [(out * Tensor(c, dtype=out.dtype)).sum() for out, c in zip(_outputs(op(*xs)), cotangents)]
        return sum(terms[1:], terms[0])

    gradcheck(projected, inputs, eps=eps, atol=atol, rtol=rtol)
    size_in = sum(x.data.size for x in inputs if isinstance(x, Tensor) and x.requires_grad)
    size_out = sum(o.data.size for o in outputs)
    if full_jacobian or (full_jacobian is None and size_in * size_out <= max_jacobian):
        gradcheck(op, inputs, eps=eps, atol=atol, rtol=rtol)


def assert_gradients_match(op: Callable[..., Any], *strategies: st.SearchStrategy, eps: float = 1e-6,
                           atol: float = 1e-5, rtol: float = 1e-3, full_jacobian: bool | None = None,
                           max_jacobian: int = 256, max_examples: int | None = None,
                           hypothesis_settings: settings | None = None) -> None:
    """Property: for every drawn input, backprop through `op` equals the numerical gradient.

    Each strategy draws one argument of `op`: float arrays become float64 tensors that require
    grad, tensors are used as drawn, anything else (an axis, an index) is passed unchanged.
    A strategy may also draw a whole tuple of arguments if it is the only one (for example
    `distinct_arrays`). `op` may return a tensor or a tuple of tensors. Checked per example:
    the gradient of sum(op(x) * c) for a random cotangent c, and the full Jacobian when
    `full_jacobian` is True, or None and (input elements x output elements) <= max_jacobian.
    Raises the first failure with the falsifying example (Hypothesis shrinks it first).
    `hypothesis_settings` replaces the active Hypothesis profile for this check (deadline,
    phases, ...); `max_examples` overrides its example count.
    """
    if not strategies:
        raise TypeError("assert_gradients_match needs at least one strategy (one per argument of op)")

    @given(st.tuples(*strategies), st.integers(0, 2**32 - 1))
    def check(values: tuple[Any, ...], seed: int) -> None:
        if len(strategies) == 1 and isinstance(values[0], tuple):
            values = values[0]
        _check_example(op, values, seed, eps, atol, rtol, full_jacobian, max_jacobian)

    if hypothesis_settings is not None or max_examples is not None:
        base = hypothesis_settings if hypothesis_settings is not None else settings()
        check = settings(base, max_examples=max_examples if max_examples is not None else base.max_examples)(check)
    check()


def gradients_match(*strategies: st.SearchStrategy,
                    **options: Any) -> Callable[[Callable[..., Any]], Callable[[], None]]:
    """Decorator form: turns an op into a zero-argument test that pytest collects.

        @gradients_match(arrays(shapes()))
        def test_my_softplus(x):
            return MySoftplus.apply(x)

    `options` are those of `assert_gradients_match` (eps, atol, rtol, full_jacobian, ...).
    """
    def decorate(op: Callable[..., Any]) -> Callable[[], None]:
        def test() -> None:
            assert_gradients_match(op, *strategies, **options)

        # Copy the name by hand: functools.wraps would make pytest read `op`'s arguments as fixtures.
        test.__name__, test.__qualname__ = op.__name__, op.__qualname__
        test.__module__, test.__doc__ = op.__module__, op.__doc__
        return test

    return decorate
