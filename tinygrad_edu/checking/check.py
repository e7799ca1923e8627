"""gradcheck and gradgradcheck: compare backprop with central differences and say where and why.

Layer L4 (imports tensor, autograd). `check_gradients` does the work and returns a
GradcheckResult: copy the inputs to float64, run the function twice (two different results
mean it is not deterministic, and nothing else can be trusted), get J^T U by backward and J V
by central differences (jacobian.py), mark entries where the one-sided differences disagree
as kinks (skipped, not failed), and ask causes.py why the rest fail. `gradcheck` returns a bool
or raises GradcheckError with the report; `gradgradcheck` runs the same check on the function's
first derivatives against random cotangents. See docs/gradcheck.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.function import TensorBase
from ..autograd.engine import grad as autograd_grad
from ..random import generator
from .._tensor import Tensor
from .causes import backward_failure, diagnose
from .jacobian import (Probe, analytic_vjps, build_probes, differentiable, draw_projections, element_index,
                       forward_jvps, numerical_jvps)
from .numerical import PreparedInputs, call, evaluate, prepare_inputs
from .report import Cause, Entry, GradcheckError, GradcheckResult, PairResult
from .sweep import sweep_probes

WORST_ROWS = 5


def check_gradients(fn: Callable[..., Any], inputs: Sequence[Any] | Tensor, *, eps: float = 1e-6,
                    atol: float = 1e-5, rtol: float = 1e-3, fast_mode: bool = False,
                    eps_sweep: bool = False, check_forward_ad: bool = False) -> GradcheckResult:
    """The structured result of gradcheck (never raises for a mismatch, only for unusable input)."""
    return run_check(fn, prepare_inputs(inputs), eps, atol, rtol, fast_mode, eps_sweep, order=1,
                     check_forward_ad=check_forward_ad)


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any] | Tensor, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, *, fast_mode: bool = False,
              eps_sweep: bool = False, check_forward_ad: bool = False) -> bool:
    """True when backprop matches central differences for every output, input and element.

    Inputs that require grad are checked in float64 copies (the originals are untouched); a
    failure raises GradcheckError whose message is the report and whose `.result` is the
    data. fast_mode compares random projections u^T J v instead of the whole Jacobian;
    eps_sweep adds (and prints) a table of the error against the step size. check_forward_ad
    also compares J v from forward mode (the ops' jvp rules) with central differences.
    """
    result = check_gradients(fn, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode, eps_sweep=eps_sweep,
                             check_forward_ad=check_forward_ad)
    return _finish(result, raise_exception)


def gradgradcheck(fn: Callable[..., Any], inputs: Sequence[Any] | Tensor, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, *, fast_mode: bool = False,
                  eps_sweep: bool = False) -> bool:
    """gradcheck of the first derivatives: checks the backward of backward (second order).

    The first derivatives are those of sum(f(x) * c) for random cotangents c (drawn once from
    the library generator), so every output element counts and a permutation cannot hide.
    """
    prepared = prepare_inputs(inputs, "gradgradcheck")
    checked = prepared.checked
    outputs = call(fn, prepared.values)
    keep = [k for k in differentiable(outputs) if outputs[k].requires_grad]
    if not keep:
        raise ValueError("gradgradcheck: no output of the function requires grad, so it has no derivatives")
    cotangents = [Tensor(generator().standard_normal(outputs[k].shape)) for k in keep]

    def first_derivatives(*xs: Any) -> tuple[TensorBase, ...]:
        outs = call(fn, xs)
        grads = autograd_grad([outs[k] for k in keep], [xs[i] for i in checked], cotangents, create_graph=True,
                              allow_unused=True)
        return tuple(g if g is not None else xs[i] * 0.0 for g, i in zip(grads, checked))

    result = run_check(first_derivatives, prepared, eps, atol, rtol, fast_mode, eps_sweep, order=2)
    which = ", ".join(f"output {k} is d/d(input {i})" for k, i in enumerate(checked))
    result.notes.append(f"second order: the outputs checked are gradients of sum(f(x) * c), c random: {which}")
    return _finish(result, raise_exception)


def _finish(result: GradcheckResult, raise_exception: bool) -> bool:
    if result.passed and result.sweep is not None:
        print(result.sweep.table())  # asked for explicitly, and a bool has no room for it
    if not result.passed and raise_exception:
        raise GradcheckError(result.report(), result)
    return result.passed


def run_check(fn: Callable[..., Any], prepared: PreparedInputs, eps: float, atol: float, rtol: float,
              fast_mode: bool, eps_sweep: bool, order: int, check_forward_ad: bool = False) -> GradcheckResult:
    """The whole check on prepared (float64) inputs; `order` only changes the wording of the report."""
    values, checked = prepared.values, prepared.checked
    result = GradcheckResult(order, fast_mode, eps, atol, rtol, prepared.upcast, prepared.skipped,
                             upcast_dtypes=prepared.upcast_dtypes)
    outputs = call(fn, values)
    base = [out.data.astype(np.float64).reshape(-1) for out in outputs]
    nondeterministic = _nondeterminism(fn, values, base)
    if nondeterministic is not None:
        result.causes.append(nondeterministic)
        return result
    cotangents, directions = draw_projections(outputs, values, checked, fast_mode)
    try:
        vjps = analytic_vjps(outputs, values, checked, cotangents)
    except (RuntimeError, TypeError, ValueError) as error:
        result.causes.append(backward_failure(error))
        return result
    probes = build_probes(fn, outputs, values, checked, base, eps, cotangents, directions, vjps)

    def remeasure(probe: Probe, h: float, columns: list[int]) -> np.ndarray:
        return numerical_jvps(fn, values, base, probe.input, probe.directions, h, columns)[0][probe.output]

    for probe in probes:
        pair, kinks = _compare(probe, probes, fn, values, base, remeasure, eps, atol, rtol, order)
        if kinks and fast_mode:
            full = run_check(fn, prepared, eps, atol, rtol, False, eps_sweep, order, check_forward_ad)
            full.notes.insert(0, "fast mode: a random direction crossed a point where the function is not "
                                 "differentiable, so the full Jacobian was checked to isolate it")
            return full
        result.pairs.append(pair)
    if check_forward_ad:
        try:
            result.pairs.extend(_forward_pairs(fn, values, outputs, probes, atol, rtol))
        except (RuntimeError, TypeError, ValueError) as error:
            result.causes.append(Cause("forward_ad", f"forward mode failed: {error}"))
    result.notes.extend(_notes(outputs, probes, atol))
    if eps_sweep:
        result.sweep = sweep_probes(fn, values, base, probes)
    return result


def _forward_pairs(fn: Callable[..., Any], values: Sequence[Any], outputs: Sequence[Tensor], probes: list[Probe],
                   atol: float, rtol: float) -> list[PairResult]:
    """Forward-mode U^T J V against central differences, pair by pair; entries at a kink are skipped."""
    sizes = [out.data.size for out in outputs]
    forward = {i: forward_jvps(fn, values, i, probe.directions, sizes)
               for i, probe in {p.input: p for p in probes}.items()}
    pairs = []
    for probe in probes:
        analytic, numerical = probe.numerical(forward[probe.input][probe.output]), probe.numerical()
        tolerance = atol + rtol * np.abs(numerical)
        kinks = np.abs(probe.jump_size()) > tolerance
        failing = ~(np.abs(analytic - numerical) <= tolerance) & ~kinks
        pair = PairResult(probe.output, probe.input, probe.output_shape, probe.input_shape, int(analytic.size),
                          int(failing.sum()), int(kinks.sum()), mode="forward")
        if failing.any():
            rows, columns = np.nonzero(failing)
            worst = np.argsort(-np.abs(analytic - numerical)[rows, columns], kind="stable")[:WORST_ROWS]
            pair.worst = [Entry(probe.label(int(rows[t]), int(columns[t])), float(analytic[rows[t], columns[t]]),
                                float(numerical[rows[t], columns[t]])) for t in worst]
            pair.causes = [Cause("forward_ad", "J v from forward mode differs from central differences: a jvp rule "
                                               "on the way is wrong (backward is compared on its own)")]
        pairs.append(pair)
    return pairs


def _nondeterminism(fn: Callable[..., Any], values: Sequence[Any], base: list[np.ndarray]) -> Cause | None:
    again = evaluate(fn, values)
    for k, (first, second) in enumerate(zip(base, again)):
        if first.shape != second.shape:
            return Cause("nondeterministic", f"two forward passes at the same inputs gave output {k} different "
                                             f"sizes ({first.size} and {second.size})")
        differ = ~((first == second) | (np.isnan(first) & np.isnan(second)))
        if differ.any():
            largest = float(np.max(np.abs(first - second)[differ]))
            return Cause("nondeterministic", f"two forward passes at the same inputs differ in {int(differ.sum())} "
                                             f"of {first.size} elements of output {k} (up to {largest:.3g}): the "
                                             "function draws random numbers (Dropout in training mode?) or keeps "
                                             "state between calls, so finite differences mean nothing; call "
                                             "model.eval() or seed inside the function")
    return None


def _compare(probe: Probe, probes: list[Probe], fn: Callable[..., Any], values: Sequence[Any],
             base: list[np.ndarray], remeasure: Callable[[Probe, float, list[int]], np.ndarray], eps: float,
             atol: float, rtol: float, order: int) -> tuple[PairResult, int]:
    """One pair's PairResult (kinks skipped, causes diagnosed) and how many entries were kinks."""
    analytic, numerical = probe.analytic(), probe.numerical()
    tolerance = atol + rtol * np.abs(numerical)
    bad = ~(np.abs(analytic - numerical) <= tolerance)  # written so that nan counts as bad
    jump = probe.jump_size()
    kinks = bad & (np.abs(jump) > tolerance)
    if kinks.any():
        # A kink's jump is a change of slope: it stays put at eps/4 and 4 eps, while a smooth f''
        # term scales with the step and round-off noise scales against it (with random signs).
        kink_columns: list[int] = sorted(set(np.nonzero(kinks)[1].tolist()))
        for h in (eps / 4, eps * 4):
            _, jumps = numerical_jvps(fn, values, base, probe.input, probe.directions, h, kink_columns)
            other = np.zeros_like(probe.jump)
            other[:, kink_columns] = jumps[probe.output]
            kinks &= _same_jump(probe.jump_size(other), jump)
    failing = bad & ~kinks
    pair = PairResult(probe.output, probe.input, probe.output_shape, probe.input_shape, int(analytic.size),
                      int(failing.sum()), int(kinks.sum()))
    if kinks.any() and probe.directions is None:
        pair.skipped_at = [element_index(int(c), probe.input_shape) for c in sorted(set(np.nonzero(kinks)[1]))]
    if failing.any():
        rows, columns = np.nonzero(failing)
        worst = np.argsort(-np.abs(analytic - numerical)[rows, columns], kind="stable")[:WORST_ROWS]
        pair.worst = [Entry(probe.label(int(rows[t]), int(columns[t])), float(analytic[rows[t], columns[t]]),
                            float(numerical[rows[t], columns[t]])) for t in worst]
        pair.causes = diagnose(probe, ~kinks, failing, probes, remeasure, eps, atol, rtol, order)
    return pair, int(kinks.sum())


def _same_jump(smaller: np.ndarray, jump: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = smaller / jump
    same: np.ndarray = (ratio > 0.5) & (ratio < 2.0)
    return same


def _notes(outputs: Sequence[Tensor], probes: list[Probe], atol: float) -> list[str]:
    notes = []
    for k, out in enumerate(outputs):
        if out.dtype.kind != "f":
            notes.append(f"output {k} has dtype {out.dtype} and is not differentiable: not checked")
            continue
        if out.dtype != np.float64:
            notes.append(f"output {k} is {out.dtype} even with float64 inputs: the function computes in lower "
                         "precision, so the numerical derivative is only accurate to about 1e-3")
        mine = [p for p in probes if p.output == k]
        if mine and out.data.size and all(np.all(np.abs(p.numerical()) <= atol * 1e-3) for p in mine):
            notes.append(f"output {k} does not change when any checked input moves; was that intended? (a batch "
                         "of one through BatchNorm in training mode normalises every value to the bias)")
    return notes
