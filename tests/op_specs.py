"""The one explicit table of differentiable ops that drives the forward, backward and second-order tests.

Each OpSpec says how to call the op on Tensors (`fn`), the NumPy expression it must equal
(`numpy_ref`), how many tensor inputs it takes, where its inputs live (`domain`), the element
values where it has a kink (`kinks`, kept `margin` away), whether two equal elements are a kink
(`ties`: max, min, maximum, minimum, std), whether second derivatives are checked (`smooth`),
and which input shapes to draw (`shapes`: a strategy of shape tuples, one per input).
No discovery magic: an op is tested exactly when it is listed here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.functional as F
from tinygrad_edu.testing import arrays, away_from, broadcastable_shapes, distinct_arrays, floats, shapes

Domain = tuple[float, float]


@dataclass(frozen=True)
class OpSpec:
    name: str
    fn: Callable[..., Any]
    numpy_ref: Callable[..., Any]
    arity: int = 1
    domain: Domain | tuple[Domain, ...] = (-3.0, 3.0)
    kinks: tuple[float, ...] = ()
    smooth: bool = True
    shapes: Any = None
    ties: bool = False
    margin: float = 0.1

    def __repr__(self) -> str:
        return self.name

    def input_domain(self, position: int) -> Domain:
        if isinstance(self.domain[0], tuple):
            return self.domain[position]  # type: ignore[return-value]
        return self.domain  # type: ignore[return-value]

    def shape_strategy(self) -> st.SearchStrategy:
        if self.shapes is not None:
            return self.shapes
        return st.tuples(shapes()) if self.arity == 1 else broadcastable_shapes(self.arity)

    def inputs(self) -> st.SearchStrategy:
        """A strategy of input arrays (float64), one per tensor argument, off kinks and domain edges."""
        if self.ties:
            low = min(self.input_domain(i)[0] for i in range(self.arity))
            high = max(self.input_domain(i)[1] for i in range(self.arity))
            return distinct_arrays(self.shape_strategy(), min_gap=0.05, min_value=low, max_value=high)

        def arrays_for(shape_tuple: tuple[tuple[int, ...], ...]) -> st.SearchStrategy:
            parts = []
            for position, shape in enumerate(shape_tuple):
                low, high = self.input_domain(position)
                values = away_from(self.kinks, self.margin, low, high) if self.kinks else floats(low, high)
                parts.append(arrays(shape, elements=values))
            return st.tuples(*parts)

        return self.shape_strategy().flatmap(arrays_for)


def _one(min_dims: int = 0, max_dims: int = 3, min_side: int = 1) -> st.SearchStrategy:
    return st.tuples(shapes(min_dims, max_dims, min_side))


def _fixed(*shape_list: tuple[int, ...]) -> st.SearchStrategy:
    return st.just(tuple(shape_list))


def _same(count: int, min_dims: int = 0, max_dims: int = 3, min_side: int = 1) -> st.SearchStrategy:
    return shapes(min_dims, max_dims, min_side).map(lambda s: (s,) * count)


def _matmul(signature: str, batch_dims: int = 0) -> st.SearchStrategy:
    return broadcastable_shapes(signature=signature, min_dims=0, max_dims=batch_dims, max_side=3)


def _along(axis: int, count: int) -> st.SearchStrategy:
    """`count` shapes equal except along `axis` (for cat)."""
    def vary(base: tuple[int, ...]) -> st.SearchStrategy:
        sizes = st.lists(st.integers(1, 3), min_size=count, max_size=count)
        return sizes.map(lambda ks: tuple(base[:axis] + (k,) + base[axis + 1:] for k in ks))
    return shapes(axis + 1, 3).flatmap(vary)


def _first_at_least(n: int, max_dims: int = 3) -> st.SearchStrategy:
    return st.tuples(shapes(1, max_dims).map(lambda s: (max(s[0], n),) + s[1:]))


def _linear_shapes(batch: tuple[int, ...] = (), bias: bool = True) -> st.SearchStrategy:
    sizes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
    return sizes.map(lambda s: ((*batch, s[0], s[1]), (s[2], s[1])) + (((s[2],),) if bias else ()))


# ----- NumPy references for the composite ops (written from the math, not from the library)
def _np_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _np_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _np_cross_entropy(x: np.ndarray, t: np.ndarray, weight: np.ndarray | None = None, ignore_index: int = -100,
                      reduction: str = "mean", smoothing: float = 0.0) -> np.ndarray:
    """PyTorch's definition for (N, C) logits and integer targets, term by term."""
    n, c = x.shape
    logp = _np_log_softmax(x, 1)
    w = np.ones(c) if weight is None else weight
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    picked = -logp[np.arange(n), safe] * w[safe] * valid
    uniform = -(logp * w).sum(1) / c * valid
    losses = (1 - smoothing) * picked + smoothing * uniform
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / (w[safe] * valid).sum()


def _np_soft_cross_entropy(x: np.ndarray, p: np.ndarray, reduction: str = "mean", smoothing: float = 0.0) -> np.ndarray:
    p = p * (1 - smoothing) + smoothing / x.shape[1]
    losses = -(_np_log_softmax(x, 1) * p).sum(1)
    return {"none": losses, "sum": losses.sum(), "mean": losses.mean()}[reduction]


def _np_bce_logits(x: np.ndarray, y: np.ndarray, pos_weight: Any = 1.0, weight: Any = 1.0) -> np.ndarray:
    log_sigmoid = -np.logaddexp(0, -x)
    log_one_minus = -np.logaddexp(0, x)
    return (-(pos_weight * y * log_sigmoid + (1 - y) * log_one_minus) * weight).mean()


def _np_batch_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    axes = (0,) if x.ndim == 2 else (0, 2)
    shape = (1, -1) + ((1,) if x.ndim == 3 else ())
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # the biased variance normalises, as in PyTorch
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


def _assign_rows(x, v):
    """x with rows 1: replaced by v, through item assignment (a copy first: ops never write inputs)."""
    out = x * 1.0
    out[1:] = v
    return out


def _split_at(x: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
    return tuple(np.split(x, list(range(size, x.shape[0], size)), axis=0))


def _np_scatter_add(x: np.ndarray, index: np.ndarray, rows: int) -> np.ndarray:
    out = np.zeros((rows,) + x.shape[1:])
    np.add.at(out, index, x)
    return out


LABELS = np.array([0, 2, 1, 2])
LABELS_IGNORED = np.array([0, -100, 2, 1])
CLASS_WEIGHT = np.array([0.5, 2.0, 1.25])
PROBABILITIES = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8], [0.0, 0.5, 0.5]])
BINARY_TARGET = np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 0.9], [0.5, 1.0, 0.0], [0.2, 0.0, 1.0]])
POS_WEIGHT = np.array([0.5, 1.0, 3.0])
MASK_3X4 = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
ROW_INDEX = np.array([0, 2, 0, 0, 1])  # repeated rows: their gradients must add up
DROPOUT_SEED, DROPOUT_P = 7, 0.3


def _dropout(x: tg.Tensor) -> tg.Tensor:
    tg.manual_seed(DROPOUT_SEED)  # the same mask on every call, so finite differences see one function
    return F.dropout(x, DROPOUT_P)


def _np_dropout(x: np.ndarray) -> np.ndarray:
    keep = np.random.default_rng(DROPOUT_SEED).random(x.shape, dtype=np.float64) >= DROPOUT_P
    return x * keep / (1 - DROPOUT_P)


POSITIVE: Domain = (0.1, 3.0)

ARITHMETIC = [
    OpSpec("add", lambda a, b: a + b, np.add, 2),
    OpSpec("sub", lambda a, b: a - b, np.subtract, 2),
    OpSpec("mul", lambda a, b: a * b, np.multiply, 2),
    OpSpec("div", lambda a, b: a / b, np.divide, 2, kinks=(0.0,), margin=0.5),
    OpSpec("pow_tensor_exponent", lambda a, b: a ** b, np.power, 2, domain=(POSITIVE, (-2.0, 2.0))),
    OpSpec("pow_2", lambda x: x ** 2, lambda x: x ** 2),
    OpSpec("pow_3", lambda x: x.pow(3), lambda x: x ** 3),
    OpSpec("pow_half", lambda x: x ** 0.5, np.sqrt, domain=POSITIVE),
    OpSpec("pow_negative_fraction", lambda x: x ** -1.5, lambda x: x ** -1.5, domain=POSITIVE),
    OpSpec("rpow_scalar", lambda x: 2.0 ** x, lambda x: 2.0 ** x),
    OpSpec("neg", lambda x: -x, np.negative),
    OpSpec("square", lambda x: x.square(), np.square),
    OpSpec("methods_add_sub_mul_div", lambda a, b: a.add(b).mul(a).sub(b).div(2.0),
           lambda a, b: ((a + b) * a - b) / 2, 2),
    OpSpec("radd_scalar", lambda x: 2.5 + x, lambda x: 2.5 + x),
    OpSpec("rsub_scalar", lambda x: 2.5 - x, lambda x: 2.5 - x),
    OpSpec("rmul_scalar", lambda x: 1.5 * x, lambda x: 1.5 * x),
    OpSpec("rdiv_scalar", lambda x: 3.0 / x, lambda x: 3.0 / x, kinks=(0.0,), margin=0.5),
    OpSpec("sub_scalar", lambda x: x - 1, lambda x: x - 1),
    OpSpec("div_scalar", lambda x: x / 4, lambda x: x / 4),
    OpSpec("rsub_numpy_scalar", lambda x: np.float64(1.5) - x, lambda x: 1.5 - x),
    OpSpec("rmul_numpy_array", lambda x: np.array([1.0, -2.0, 0.5]) * x, lambda x: np.array([1.0, -2.0, 0.5]) * x,
           shapes=st.tuples(shapes(1, 3).map(lambda s: s[:-1] + (3,)))),
    OpSpec("add_numpy_array_broadcast", lambda x: x + np.ones((2, 1, 1)), lambda x: x + np.ones((2, 1, 1)),
           shapes=_one(0, 2)),
    OpSpec("matmul_2d", lambda a, b: a @ b, np.matmul, 2, shapes=_matmul("(m,n),(n,p)->(m,p)")),
    OpSpec("matmul_batched", lambda a, b: a @ b, np.matmul, 2, shapes=_matmul("(m,n),(n,p)->(m,p)", 2)),
    OpSpec("matmul_1d_1d", lambda a, b: a @ b, np.matmul, 2, shapes=_matmul("(n),(n)->()")),
    OpSpec("matmul_2d_1d", lambda a, b: a.matmul(b), np.matmul, 2, shapes=_matmul("(m,n),(n)->(m)")),
    OpSpec("matmul_1d_2d", lambda a, b: a @ b, np.matmul, 2, shapes=_matmul("(n),(n,p)->(p)")),
    OpSpec("matmul_batched_1d", lambda a, b: a @ b, np.matmul, 2, shapes=_fixed((2, 3, 4), (4,))),
    OpSpec("matmul_1d_batched", lambda a, b: a @ b, np.matmul, 2, shapes=_fixed((4,), (2, 4, 3))),
    OpSpec("rmatmul_numpy", lambda x: np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]]) @ x,
           lambda x: np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]]) @ x, shapes=_fixed((2, 3))),
]

ELEMENTWISE = [
    OpSpec("exp", lambda x: x.exp(), np.exp),
    OpSpec("log", lambda x: x.log(), np.log, domain=POSITIVE),
    OpSpec("sqrt", lambda x: x.sqrt(), np.sqrt, domain=POSITIVE),
    OpSpec("abs", lambda x: x.abs(), np.abs, kinks=(0.0,), smooth=False),
    OpSpec("sin", lambda x: x.sin(), np.sin),
    OpSpec("cos", lambda x: x.cos(), np.cos),
    OpSpec("tanh", lambda x: x.tanh(), np.tanh),
    OpSpec("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), domain=(-8.0, 8.0)),
    OpSpec("softplus", lambda x: F.softplus(x), lambda x: np.log1p(np.exp(x)), domain=(-8.0, 8.0)),
    OpSpec("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), kinks=(0.0,), smooth=False),
    OpSpec("leaky_relu", lambda x: F.leaky_relu(x), lambda x: np.where(x > 0, x, 0.01 * x), kinks=(0.0,),
           smooth=False),
    OpSpec("leaky_relu_slope", lambda x: x.leaky_relu(0.2), lambda x: np.where(x > 0, x, 0.2 * x), kinks=(0.0,),
           smooth=False),
    OpSpec("clip", lambda x: x.clip(-1.0, 1.0), lambda x: np.clip(x, -1, 1), kinks=(-1.0, 1.0), smooth=False),
    OpSpec("clamp_min_only", lambda x: x.clamp(min=0.5), lambda x: np.maximum(x, 0.5), kinks=(0.5,), smooth=False),
    OpSpec("clip_max_only", lambda x: x.clip(max=-0.5), lambda x: np.minimum(x, -0.5), kinks=(-0.5,), smooth=False),
    OpSpec("maximum", lambda a, b: a.maximum(b), np.maximum, 2, ties=True, smooth=False),
    OpSpec("minimum", lambda a, b: a.minimum(b), np.minimum, 2, ties=True, smooth=False),
    OpSpec("where", lambda a, b: tg.where(a.data > 0, a, b), lambda a, b: np.where(a > 0, a, b), 2, kinks=(0.0,)),
    OpSpec("where_fixed_mask", lambda a, b: a.where(MASK_3X4, b), lambda a, b: np.where(MASK_3X4, a, b), 2,
           shapes=_fixed((3, 4), (4,))),
    OpSpec("where_scalar_other", lambda x: tg.where(x.data > 0, x, 0.0), lambda x: np.where(x > 0, x, 0.0),
           kinks=(0.0,), smooth=False),
]

REDUCTIONS = [
    OpSpec("sum", lambda x: x.sum(), np.sum),
    OpSpec("sum_axis0", lambda x: x.sum(0), lambda x: x.sum(0), shapes=_one(1)),
    OpSpec("sum_last_keepdims", lambda x: x.sum(-1, keepdims=True), lambda x: x.sum(-1, keepdims=True),
           shapes=_one(1)),
    OpSpec("sum_tuple", lambda x: x.sum((0, -1)), lambda x: x.sum((0, -1)), shapes=_one(2)),
    OpSpec("sum_dim_keepdim", lambda x: x.sum(dim=1, keepdim=True), lambda x: x.sum(1, keepdims=True),
           shapes=_one(2)),
    OpSpec("mean", lambda x: x.mean(), np.mean),
    OpSpec("mean_axis1_keepdims", lambda x: x.mean(1, keepdims=True), lambda x: x.mean(1, keepdims=True),
           shapes=_one(2)),
    OpSpec("mean_tuple", lambda x: x.mean((0, 1)), lambda x: x.mean((0, 1)), shapes=_one(2)),
    OpSpec("max", lambda x: x.max(), np.max, ties=True, smooth=False),
    OpSpec("amax_last", lambda x: x.amax(-1), lambda x: x.max(-1), shapes=_one(1), ties=True, smooth=False),
    OpSpec("max_tuple_keepdims", lambda x: x.amax((0, 1), keepdims=True), lambda x: x.max((0, 1), keepdims=True),
           shapes=_one(2), ties=True, smooth=False),
    OpSpec("max_dim_values", lambda x: x.max(-1).values, lambda x: x.max(-1), shapes=_one(1), ties=True,
           smooth=False),
    OpSpec("min", lambda x: x.min(), np.min, ties=True, smooth=False),
    OpSpec("amin_axis0", lambda x: x.amin(0), lambda x: x.min(0), shapes=_one(1), ties=True, smooth=False),
    OpSpec("min_dim_keepdim_values", lambda x: x.min(0, keepdim=True).values, lambda x: x.min(0, keepdims=True),
           shapes=_one(1), ties=True, smooth=False),
    OpSpec("sort_values", lambda x: x.sort().values, lambda x: np.sort(x, -1), shapes=_one(1), ties=True,
           smooth=False),
    OpSpec("sort_descending_dim0", lambda x: x.sort(0, descending=True).values, lambda x: -np.sort(-x, 0),
           shapes=_one(1), ties=True, smooth=False),
    OpSpec("topk_values", lambda x: x.topk(min(2, x.shape[-1])).values,
           lambda x: -np.sort(-x, -1)[..., :min(2, x.shape[-1])], shapes=_one(1), ties=True, smooth=False),
    OpSpec("min_tuple_keepdims", lambda x: x.amin((0, -1), keepdims=True), lambda x: x.min((0, -1), keepdims=True),
           shapes=_one(2), ties=True, smooth=False),
    OpSpec("var", lambda x: x.var(), lambda x: np.var(x, ddof=1), shapes=_one(1, 3, 2)),
    OpSpec("var_axis0", lambda x: x.var(0), lambda x: np.var(x, 0, ddof=1), shapes=_one(1, 3, 2)),
    OpSpec("var_biased_keepdims", lambda x: x.var(-1, keepdims=True, correction=0),
           lambda x: np.var(x, -1, keepdims=True), shapes=_one(1, 3, 2)),
    OpSpec("var_tuple_unbiased_false", lambda x: x.var((0, 1), unbiased=False), lambda x: np.var(x, (0, 1)),
           shapes=_one(2)),
    # std has a kink where all values are equal (sqrt at 0): distinct values keep it away.
    OpSpec("std", lambda x: x.std(), lambda x: np.std(x, ddof=1), shapes=_one(1, 3, 2), ties=True),
    OpSpec("std_axis1_keepdims", lambda x: x.std(1, keepdims=True), lambda x: np.std(x, 1, ddof=1, keepdims=True),
           shapes=_one(2, 3, 2), ties=True),
    OpSpec("logsumexp", lambda x: x.logsumexp(), _np_logsumexp),
    OpSpec("logsumexp_last", lambda x: x.logsumexp(-1), lambda x: _np_logsumexp(x, -1), shapes=_one(1)),
    OpSpec("logsumexp_tuple_keepdims", lambda x: x.logsumexp((0, 1), keepdims=True),
           lambda x: _np_logsumexp(x, (0, 1), True), shapes=_one(2)),
]

SHAPE = [
    OpSpec("reshape_reversed", lambda x: x.reshape(x.shape[::-1]), lambda x: x.reshape(x.shape[::-1])),
    OpSpec("reshape_minus_one", lambda x: x.reshape(-1, 1), lambda x: x.reshape(-1, 1)),
    OpSpec("view", lambda x: x.view(x.numel()), lambda x: x.reshape(x.size)),
    OpSpec("transpose", lambda x: x.transpose(0, -1), lambda x: np.swapaxes(x, 0, -1), shapes=_one(2)),
    OpSpec("swapaxes", lambda x: x.swapaxes(1, 0), lambda x: np.swapaxes(x, 1, 0), shapes=_one(3)),
    OpSpec("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), shapes=_one(3)),
    OpSpec("T", lambda x: x.T, lambda x: x.T),
    OpSpec("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1)),
    OpSpec("flatten_start1", lambda x: x.flatten(1), lambda x: x.reshape(x.shape[0], -1), shapes=_one(2)),
    OpSpec("squeeze_all", lambda x: x.squeeze(), np.squeeze),
    OpSpec("squeeze_dim", lambda x: x.squeeze(0), lambda x: np.squeeze(x, 0),
           shapes=st.tuples(shapes(1, 3).map(lambda s: (1,) + s[1:]))),
    OpSpec("unsqueeze_0", lambda x: x.unsqueeze(0), lambda x: x[None]),
    OpSpec("unsqueeze_last", lambda x: x.unsqueeze(-1), lambda x: x[..., None]),
    OpSpec("expand_new_axis", lambda x: x.expand(3, *([-1] * x.ndim)), lambda x: np.broadcast_to(x, (3,) + x.shape)),
    OpSpec("broadcast_to_size1", lambda x: x.broadcast_to(tuple(4 if n == 1 else n for n in x.shape)),
           lambda x: np.broadcast_to(x, tuple(4 if n == 1 else n for n in x.shape))),
    OpSpec("sum_to_first_axis", lambda x: x.sum_to((1,) + x.shape[1:]), lambda x: x.sum(0, keepdims=True),
           shapes=_first_at_least(2)),
    OpSpec("cat_dim0", lambda a, b, c: tg.cat([a, b, c]), lambda a, b, c: np.concatenate([a, b, c]), 3,
           shapes=_along(0, 3)),
    OpSpec("cat_dim1", lambda a, b: tg.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], 1), 2,
           shapes=_along(1, 2)),
    OpSpec("stack_dim0", lambda a, b, c: tg.stack([a, b, c]), lambda a, b, c: np.stack([a, b, c]), 3,
           shapes=_same(3)),
    OpSpec("stack_last", lambda a, b: tg.stack([a, b], dim=-1), lambda a, b: np.stack([a, b], -1), 2,
           shapes=_same(2)),
    OpSpec("split_size", lambda x: x.split(2), lambda x: _split_at(x, 2), shapes=_one(1)),
    OpSpec("split_last_dim", lambda x: x.split(1, dim=-1), lambda x: tuple(np.split(x, x.shape[-1], axis=-1)),
           shapes=_one(1)),
    OpSpec("chunk", lambda x: x.chunk(2), lambda x: _split_at(x, -(-x.shape[0] // 2)), shapes=_one(1)),
    OpSpec("unbind_dim1", lambda x: x.unbind(1), lambda x: tuple(np.moveaxis(x, 1, 0)), shapes=_one(2)),
    OpSpec("setitem_rows", _assign_rows, _assign_rows, 2, shapes=_fixed((3, 2), (2, 2))),
    OpSpec("movedim", lambda x: x.movedim(0, -1), lambda x: np.moveaxis(x, 0, -1), shapes=_one(2)),
    OpSpec("split_sections", lambda x: x.split([1, x.shape[0] - 1]), lambda x: _split_at(x, 1)[:1] + (x[1:],),
           shapes=_first_at_least(2)),
]

INDEXING = [
    OpSpec("getitem_int", lambda x: x[-1], lambda x: x[-1], shapes=_one(1)),
    OpSpec("getitem_int_pair", lambda x: x[0, -1], lambda x: x[0, -1], shapes=_one(2)),
    OpSpec("getitem_slice", lambda x: x[1:], lambda x: x[1:], shapes=_one(1)),
    OpSpec("getitem_step_reverse", lambda x: x[::-1, ::2], lambda x: x[::-1, ::2], shapes=_one(2)),
    OpSpec("getitem_none_ellipsis", lambda x: x[None, ..., 0], lambda x: x[None, ..., 0], shapes=_one(1)),
    OpSpec("getitem_ellipsis_none", lambda x: x[..., None, :], lambda x: x[..., None, :], shapes=_one(1)),
    OpSpec("getitem_int_array_repeated", lambda x: x[ROW_INDEX], lambda x: x[ROW_INDEX], shapes=_first_at_least(3)),
    OpSpec("getitem_list_repeated", lambda x: x[[1, 1, 0]], lambda x: x[[1, 1, 0]], shapes=_first_at_least(2)),
    OpSpec("getitem_2d_int_array", lambda x: x[np.array([[0, 1], [1, 1]])], lambda x: x[np.array([[0, 1], [1, 1]])],
           shapes=_first_at_least(2)),
    OpSpec("getitem_pairs_repeated", lambda x: x[[0, 1, 0], [2, 2, 2]], lambda x: x[[0, 1, 0], [2, 2, 2]],
           shapes=_fixed((2, 3))),
    OpSpec("getitem_slice_and_array", lambda x: x[1:, [0, 0, 2]], lambda x: x[1:, [0, 0, 2]], shapes=_fixed((3, 3))),
    OpSpec("getitem_bool_mask", lambda x: x[MASK_3X4], lambda x: x[MASK_3X4], shapes=_fixed((3, 4))),
    OpSpec("getitem_bool_rows", lambda x: x[np.array([True, False, True])], lambda x: x[np.array([True, False, True])],
           shapes=st.tuples(shapes(1, 3).map(lambda s: (3,) + s[1:]))),
    OpSpec("getitem_mask_from_data", lambda x: x[x.data > 0], lambda x: x[x > 0], kinks=(0.0,), smooth=False),
    OpSpec("scatter_to_repeated", lambda x: x.scatter_to(ROW_INDEX, (3,) + x.shape[1:]),
           lambda x: _np_scatter_add(x, ROW_INDEX, 3), shapes=st.tuples(shapes(1, 3).map(lambda s: (5,) + s[1:]))),
]

SOFTMAX = [
    OpSpec("softmax_last", lambda x: x.softmax(-1), _np_softmax, shapes=_one(1)),
    OpSpec("softmax_dim0", lambda x: F.softmax(x, 0), lambda x: _np_softmax(x, 0), shapes=_one(1)),
    OpSpec("log_softmax_last", lambda x: F.log_softmax(x), _np_log_softmax, shapes=_one(1)),
    OpSpec("log_softmax_dim1", lambda x: x.log_softmax(1), lambda x: _np_log_softmax(x, 1), shapes=_one(2)),
]

N_C = _fixed((4, 3))

FUNCTIONAL = [
    OpSpec("cross_entropy", lambda x: F.cross_entropy(x, LABELS), lambda x: _np_cross_entropy(x, LABELS), shapes=N_C),
    OpSpec("cross_entropy_sum", lambda x: F.cross_entropy(x, LABELS, reduction="sum"),
           lambda x: _np_cross_entropy(x, LABELS, reduction="sum"), shapes=N_C),
    OpSpec("cross_entropy_none", lambda x: F.cross_entropy(x, LABELS, reduction="none"),
           lambda x: _np_cross_entropy(x, LABELS, reduction="none"), shapes=N_C),
    OpSpec("cross_entropy_weight", lambda x: F.cross_entropy(x, LABELS, weight=CLASS_WEIGHT),
           lambda x: _np_cross_entropy(x, LABELS, CLASS_WEIGHT), shapes=N_C),
    OpSpec("cross_entropy_ignore_index", lambda x: F.cross_entropy(x, LABELS_IGNORED),
           lambda x: _np_cross_entropy(x, LABELS_IGNORED), shapes=N_C),
    OpSpec("cross_entropy_label_smoothing", lambda x: F.cross_entropy(x, LABELS, label_smoothing=0.2),
           lambda x: _np_cross_entropy(x, LABELS, smoothing=0.2), shapes=N_C),
    OpSpec("cross_entropy_all_options",
           lambda x: F.cross_entropy(x, LABELS_IGNORED, CLASS_WEIGHT, reduction="mean", label_smoothing=0.1),
           lambda x: _np_cross_entropy(x, LABELS_IGNORED, CLASS_WEIGHT, smoothing=0.1), shapes=N_C),
    OpSpec("cross_entropy_probabilities", lambda x: F.cross_entropy(x, PROBABILITIES),
           lambda x: _np_soft_cross_entropy(x, PROBABILITIES), shapes=N_C),
    OpSpec("cross_entropy_probabilities_sum_smoothing",
           lambda x: F.cross_entropy(x, PROBABILITIES, reduction="sum", label_smoothing=0.3),
           lambda x: _np_soft_cross_entropy(x, PROBABILITIES, "sum", 0.3), shapes=N_C),
    OpSpec("cross_entropy_single_sample", lambda x: F.cross_entropy(x, np.array(1)),
           lambda x: -_np_log_softmax(x)[1], shapes=_fixed((3,))),
    OpSpec("cross_entropy_spatial", lambda x: F.cross_entropy(x, np.array([[0, 2], [1, 1]])),
           lambda x: _np_cross_entropy(np.moveaxis(x, 1, -1).reshape(-1, 3), np.array([0, 2, 1, 1])),
           shapes=_fixed((2, 3, 2))),
    OpSpec("nll_loss", lambda x: F.nll_loss(x, LABELS), lambda x: -x[np.arange(4), LABELS].mean(), shapes=N_C),
    OpSpec("nll_loss_weight_ignore", lambda x: F.nll_loss(x, LABELS_IGNORED, weight=CLASS_WEIGHT),
           lambda x: (-x[[0, 2, 3], [0, 2, 1]] * CLASS_WEIGHT[[0, 2, 1]]).sum() / CLASS_WEIGHT[[0, 2, 1]].sum(),
           shapes=N_C),
    OpSpec("nll_loss_none", lambda x: F.nll_loss(x, LABELS, reduction="none"), lambda x: -x[np.arange(4), LABELS],
           shapes=N_C),
    OpSpec("mse_loss", lambda a, b: F.mse_loss(a, b), lambda a, b: ((a - b) ** 2).mean(), 2, shapes=_same(2)),
    OpSpec("mse_loss_sum", lambda a, b: F.mse_loss(a, b, reduction="sum"), lambda a, b: ((a - b) ** 2).sum(), 2,
           shapes=_same(2)),
    OpSpec("mse_loss_none", lambda a, b: F.mse_loss(a, b, reduction="none"), lambda a, b: (a - b) ** 2, 2,
           shapes=_same(2)),
    OpSpec("bce_with_logits", lambda x: F.binary_cross_entropy_with_logits(x, BINARY_TARGET),
           lambda x: _np_bce_logits(x, BINARY_TARGET), domain=(-6.0, 6.0), shapes=N_C),
    OpSpec("bce_with_logits_pos_weight",
           lambda x: F.binary_cross_entropy_with_logits(x, BINARY_TARGET, weight=CLASS_WEIGHT, pos_weight=POS_WEIGHT),
           lambda x: _np_bce_logits(x, BINARY_TARGET, POS_WEIGHT, CLASS_WEIGHT), domain=(-6.0, 6.0), shapes=N_C),
    OpSpec("linear", F.linear, lambda x, w, b: x @ w.T + b, 3, shapes=_linear_shapes()),
    OpSpec("linear_no_bias", F.linear, lambda x, w: x @ w.T, 2, shapes=_linear_shapes(bias=False)),
    OpSpec("linear_batched", F.linear, lambda x, w, b: x @ w.T + b, 3, shapes=_linear_shapes((2,))),
    OpSpec("linear_vector", F.linear, lambda x, w, b: w @ x + b, 3, shapes=_fixed((3,), (2, 3), (2,))),
    OpSpec("dropout_fixed_seed", _dropout, _np_dropout),
    OpSpec("batch_norm", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), _np_batch_norm, 3,
           shapes=_fixed((4, 3), (3,), (3,)), ties=True),
    OpSpec("batch_norm_3d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), _np_batch_norm, 3,
           shapes=_fixed((2, 3, 2), (3,), (3,)), ties=True),
]



# ----- convolution and pooling: NumPy references by explicit loops over output positions
def _np_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int = 1, padding: int = 0,
               dilation: int = 1, groups: int = 1) -> np.ndarray:
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, f, oh, ow))
    fg = f // groups
    for o in range(f):
        channels = slice(o // fg * cg, o // fg * cg + cg)
        for p in range(oh):
            for q in range(ow):
                patch = xp[:, channels, p * stride:p * stride + dilation * (kh - 1) + 1:dilation,
                           q * stride:q * stride + dilation * (kw - 1) + 1:dilation]
                out[:, o, p, q] = (patch * w[o]).sum(axis=(1, 2, 3)) + (0 if b is None else b[o])
    return out


def _np_pool(x: np.ndarray, k: int, stride: int, padding: int, reduce: Callable[..., Any], fill: float) -> np.ndarray:
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill)
    oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    return np.array([[reduce(xp[:, :, p * stride:p * stride + k, q * stride:q * stride + k], axis=(2, 3))
                      for q in range(ow)] for p in range(oh)]).transpose(2, 3, 0, 1)


def _np_adaptive_avg(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """PyTorch's windows [floor(i H / OH), ceil((i + 1) H / OH)), averaged one by one."""
    h, w = x.shape[2:]
    out = np.zeros(x.shape[:2] + size)
    for i in range(size[0]):
        for j in range(size[1]):
            rows = slice(i * h // size[0], -(-(i + 1) * h // size[0]))
            cols = slice(j * w // size[1], -(-(j + 1) * w // size[1]))
            out[:, :, i, j] = x[:, :, rows, cols].mean((2, 3))
    return out


def _np_unfold(x: np.ndarray, k: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    n, c = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = (xp.shape[2] - k) // stride + 1, (xp.shape[3] - k) // stride + 1
    columns = [xp[:, :, p * stride:p * stride + k, q * stride:q * stride + k].reshape(n, -1)
               for p in range(oh) for q in range(ow)]
    return np.stack(columns, axis=-1)


def _np_fold(cols: np.ndarray, size: int, k: int, stride: int = 1) -> np.ndarray:
    n, ckk, _ = cols.shape
    out = np.zeros((n, ckk // (k * k), size, size))
    count = (size - k) // stride + 1
    for position in range(cols.shape[2]):
        p, q = divmod(position, count)
        out[:, :, p * stride:p * stride + k, q * stride:q * stride + k] += cols[:, :, position].reshape(n, -1, k, k)
    return out


CONV = [
    OpSpec("conv2d_stride_padding", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
           lambda x, w, b: _np_conv2d(x, w, b, 2, 1), 3, shapes=_fixed((1, 1, 4, 4), (2, 1, 2, 3), (2,))),
    OpSpec("conv2d_dilation_groups", lambda x, w: F.conv2d(x, w, dilation=2, groups=2),
           lambda x, w: _np_conv2d(x, w, None, 1, 0, 2, 2), 2, shapes=_fixed((1, 2, 3, 3), (2, 1, 2, 2))),
    # 'same' with an even kernel pads one more on the bottom/right (PyTorch's rule)
    OpSpec("conv2d_depthwise_same_even_kernel", lambda x, w: F.conv2d(x, w, padding="same", groups=2),
           lambda x, w: _np_conv2d(np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1))), w, None, 1, 0, 1, 2), 2,
           shapes=_fixed((1, 2, 3, 2), (2, 1, 2, 2))),
    OpSpec("conv1d", lambda x, w, b: F.conv1d(x, w, b, padding=1),
           lambda x, w, b: _np_conv2d(np.pad(x, ((0, 0), (0, 0), (1, 1)))[:, :, None], w[:, :, None], b)[:, :, 0],
           3, shapes=_fixed((1, 2, 4), (2, 2, 3), (2,))),
    OpSpec("max_pool2d_overlapping_padded", lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
           lambda x: _np_pool(x, 3, 2, 1, np.max, -np.inf), shapes=_fixed((2, 2, 5, 5)), ties=True, smooth=False),
    OpSpec("max_pool2d_tiling", lambda x: F.max_pool2d(x, 2), lambda x: _np_pool(x, 2, 2, 0, np.max, -np.inf),
           shapes=_fixed((2, 2, 4, 4)), ties=True, smooth=False),
    OpSpec("avg_pool2d_padded", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1),
           lambda x: _np_pool(x, 3, 2, 1, np.mean, 0.0), shapes=_fixed((1, 1, 5, 5))),
    OpSpec("adaptive_avg_pool2d_uneven", lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
           lambda x: _np_adaptive_avg(x, (2, 3)),
           shapes=_fixed((1, 1, 5, 4))),
    OpSpec("unfold", lambda x: F.unfold(x, 2, padding=1, stride=2), lambda x: _np_unfold(x, 2, 2, 1),
           shapes=_fixed((1, 2, 3, 4))),
    OpSpec("fold", lambda c: F.fold(c, (3, 3), 2, stride=1), lambda c: _np_fold(c, 3, 2, 1),
           shapes=_fixed((1, 4, 4))),
    OpSpec("pad_reflect", lambda x: F.pad(x, (2, 1, 0, 1), mode="reflect"),
           lambda x: np.pad(x, ((0, 0), (0, 0), (0, 1), (2, 1)), mode="reflect"), shapes=_fixed((1, 2, 3, 3))),
    OpSpec("pad_constant_crop", lambda x: F.pad(x, (1, -1), value=0.5),
           lambda x: np.pad(x[..., :-1], ((0, 0),) * (x.ndim - 1) + ((1, 0),), constant_values=0.5),
           shapes=_fixed((2, 3))),
]

OP_SPECS: list[OpSpec] = ARITHMETIC + ELEMENTWISE + REDUCTIONS + SHAPE + INDEXING + SOFTMAX + FUNCTIONAL + CONV

if len({spec.name for spec in OP_SPECS}) != len(OP_SPECS):
    raise RuntimeError("op_specs: two OpSpecs share a name")
