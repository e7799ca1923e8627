"""Why a gradient check failed: tests of the classic mistakes against the two Jacobians.

Layer L4 (NumPy only, plus the Probe of jacobian.py). Each test states a hypothesis about the
analytic side and checks it against the numerical side within the same tolerance as the
check itself: analytic = c x numerical (a constant factor; c = -1 is a sign error), analytic
laid out with the input's axes permuted (a transpose whose backward only reshapes), analytic
equal to the numerical Jacobian with the spatial axes reversed (a convolution kernel flipped
where it should not be, or not flipped where it should), analytic
equal to another input's numerical gradient (a wrong saved tensor, or swapped gradients), no
gradient at all, gradient where the output does not depend on the input (a forgotten mask),
an output that does not move with its input (BatchNorm over a batch of one),
and a step that is the real problem (agreement at another eps). `backward_failure` reads the
fields of the engine's GradientShapeError (a broadcast axis that was not summed). See docs/gradcheck.md.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from ..autograd.engine import GradientShapeError
from .jacobian import Probe
from .report import Cause

Remeasure = Callable[[Probe, float, list[int]], np.ndarray]

_STEPS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-2)


def _agree(analytic: np.ndarray, numerical: np.ndarray, atol: float, rtol: float) -> bool:
    return bool(np.all(np.abs(analytic - numerical) <= atol + rtol * np.abs(numerical)))


def diagnose(probe: Probe, valid: np.ndarray, failing: np.ndarray, others: Sequence[Probe], remeasure: Remeasure,
             eps: float, atol: float, rtol: float, order: int = 1) -> list[Cause]:
    """The likely causes of one failing pair, most specific first (always at least one)."""
    k, i = probe.output, probe.input
    analytic, numerical = probe.analytic()[valid], probe.numerical()[valid]
    wrong = failing & valid
    if not (np.all(np.isfinite(probe.analytic()[wrong])) and np.all(np.isfinite(probe.numerical()[wrong]))):
        return [Cause("non_finite", f"nan or inf in the gradient of output {k} w.r.t. input {i} (analytic or "
                                    "numerical): the inputs sit at or near the edge of the function's domain (log "
                                    "of x <= 0, division by 0, sqrt at 0); check it at points inside the domain")]
    if probe.none and order == 2:
        return [Cause("missing_gradient", f"the first derivative (output {k}) has no graph back to input {i}: the "
                                          "backward computes with NumPy arrays (.data, or arrays saved with "
                                          "save_for_backward), which are constants for differentiation; write it "
                                          "with Tensor ops on ctx.inputs / ctx.output")]
    if probe.none:
        return [Cause("missing_gradient", f"backward returned no gradient (None) for input {i}, yet output {k} "
                                          "changes when it moves: a backward that returns None for it, an op "
                                          "computed under no_grad, or a detach() on the way")]
    if np.all(numerical == 0) or np.all(np.abs(numerical) <= atol * 1e-3):
        return [Cause("constant_output", f"output {k} does not change when input {i} moves (numerical Jacobian "
                                         "is zero), yet backward returns a nonzero gradient: something maps the "
                                         "input to a constant, e.g. BatchNorm in training mode over a batch of one "
                                         "(x - mean(x) is 0 for a single sample); use a batch of 2 or more")]
    if np.all(analytic == 0):
        return [Cause("missing_gradient", f"the analytic gradient of input {i} is all zeros while the numerical "
                                          "one is not: the backward drops this input's gradient (returns zeros)")]
    causes = _missing_mask(probe, valid, failing, atol)
    # The step before the patterns: truncation error can look like a constant factor (exp's is sinh(h)/h).
    causes = causes or _step_size(probe, valid, failing, remeasure, eps, atol, rtol)
    causes = causes or _constant_factor(probe, analytic, numerical, atol, rtol)
    causes = causes or _transposed(probe, valid, atol, rtol)
    causes = causes or _flipped(probe, valid, atol, rtol)
    causes = causes or _wrong_saved_tensor(probe, others, atol, rtol)
    if causes:
        return causes
    where = ("rerun without fast_mode to see which Jacobian entries fail" if probe.cotangents is not None
             else "compare the worst entries below")
    return [Cause("unexplained", "no simple pattern (not a constant factor, a sign, a layout or another input's "
                                 f"gradient): the derivative formula itself, or a value it reads from ctx, is wrong; "
                                 f"{where}")]


def _missing_mask(probe: Probe, valid: np.ndarray, failing: np.ndarray, atol: float) -> list[Cause]:
    if probe.cotangents is not None or probe.directions is not None:
        return []  # projections mix entries: only the full Jacobian shows where the zeros are
    wrong = failing & valid
    if not np.all(np.abs(probe.numerical()[wrong]) <= atol * 1e-3):
        return []
    return [Cause("missing_mask", f"all {int(wrong.sum())} failing entries sit where output {probe.output} does not "
                                  f"depend on input {probe.input} (numerical 0) yet backward passes a gradient: a "
                                  "mask is missing from the backward (ReLU's x > 0, max's argmax, clip's bounds)")]


def _constant_factor(probe: Probe, analytic: np.ndarray, numerical: np.ndarray, atol: float,
                     rtol: float) -> list[Cause]:
    c = float(np.dot(analytic, numerical) / np.dot(numerical, numerical))
    residual = np.abs(analytic - c * numerical)
    if not np.all(residual <= atol + rtol * np.abs(analytic)) or abs(c - 1.0) <= rtol:
        return []
    if abs(c + 1.0) <= max(rtol, 1e-3) * 10:
        return [Cause("sign", f"analytic = -1.00 x numerical for input {probe.input}: a sign error in the "
                              "backward (e.g. d(a - b)/db is -1, d(1/x)/dx is -1/x^2)")]
    return [Cause("constant_factor", f"analytic = {c:.3g} x numerical for every entry of input {probe.input}: "
                                     f"{_factor_hint(c, probe)}")]


def _factor_hint(c: float, probe: Probe) -> str:
    hints = []
    if abs(c - 2.0) < 2e-3 or abs(c - 0.5) < 1e-3:
        hints.append("a factor of 2 added or dropped (e.g. d(x^2)/dx = 2x)")
    sizes = {n for n in (*probe.input_shape, *probe.output_shape) if n > 1}
    for factor, word in ((c, "times"), (1.0 / c, "divided by")):
        n = round(factor)
        if n >= 2 and abs(factor - n) < 1e-3 * n and n in sizes:
            hints.append(f"{word} {n}, the size of an axis: a sum where a mean belongs, or the reverse "
                         "(e.g. over a broadcast axis)")
    return "; or ".join(hints) or "a constant dropped or added in the derivative formula"


def layout_maps(shape: tuple[int, ...]) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """Index maps of 'transposed by axes p, then reshaped back to `shape`', both directions."""
    size = int(np.prod(shape))
    identity = np.arange(size)
    maps = []
    for axes in itertools.permutations(range(len(shape))):
        if axes == tuple(range(len(shape))):
            continue
        forward = identity.reshape(shape).transpose(axes).reshape(-1)
        for mapping in (forward, np.argsort(forward)):
            if not np.array_equal(mapping, identity):
                maps.append((axes, mapping))
    return maps


def _transposed(probe: Probe, valid: np.ndarray, atol: float, rtol: float) -> list[Cause]:
    if len(probe.input_shape) > 4:
        return []  # 120+ axis orders: not worth the time, the report still lists the worst entries
    numerical = probe.numerical()[valid]
    for axes, mapping in layout_maps(probe.input_shape):
        if _agree(probe.analytic(probe.vjp[mapping])[valid], numerical, atol, rtol):
            return [Cause("transposed", f"the analytic gradient of input {probe.input} holds the right numbers in "
                                        f"the wrong layout: it equals the numerical one after transposing axes "
                                        f"{axes} of shape {probe.input_shape} and reshaping back; the backward "
                                        "reshapes where it should transpose (or permutes the wrong axes)")]
    return []


def _flipped(probe: Probe, valid: np.ndarray, atol: float, rtol: float) -> list[Cause]:
    """Analytic = numerical with the trailing (spatial) axes of input and/or output reversed."""
    if probe.cotangents is not None or probe.directions is not None or len(probe.input_shape) < 3:
        return []  # needs the full Jacobian, and an input with spatial axes after (N, C)
    out_shape, in_shape = probe.output_shape, probe.input_shape
    out_spatial = tuple(range(2, len(out_shape))) if len(out_shape) >= 3 else ()
    in_spatial = tuple(len(out_shape) + a for a in range(2, len(in_shape)))
    jacobian = probe.numerical().reshape(out_shape + in_shape)
    analytic = probe.analytic()[valid]
    for axes, where in ((in_spatial, "input"), (out_spatial + in_spatial, "output and input")):
        if _agree(analytic, np.flip(jacobian, axes).reshape(valid.shape)[valid], atol, rtol):
            return [Cause("flipped", f"the analytic gradient of input {probe.input} equals the numerical one with "
                                     f"the spatial axes of the {where} reversed: a convolution kernel flipped where "
                                     "it should not be (or not flipped where it should); dx is the full "
                                     "convolution of dy with the kernel flipped, dW correlates x with dy unflipped")]
    return []


def _wrong_saved_tensor(probe: Probe, others: Sequence[Probe], atol: float, rtol: float) -> list[Cause]:
    for other in others:
        if other.output != probe.output or other.input == probe.input or other.input_shape != probe.input_shape:
            continue
        if _agree(other.analytic(probe.vjp), other.numerical(), atol, rtol):
            return [Cause("wrong_saved_tensor", f"the analytic gradient of input {probe.input} equals the "
                                                f"numerical gradient of input {other.input}: the backward uses the "
                                                "wrong saved tensor (e.g. grad * a where grad * b belongs for a * b)"
                                                " or returns the gradients in the wrong order")]
    return []


def _step_size(probe: Probe, valid: np.ndarray, failing: np.ndarray, remeasure: Remeasure, eps: float,
               atol: float, rtol: float) -> list[Cause]:
    columns = sorted(set(np.nonzero(failing)[1].tolist()))[:16]
    analytic = probe.analytic()
    for h in _STEPS:
        if 0.5 < h / eps < 2.0:
            continue
        jvp = probe.jvp.copy()
        jvp[:, columns] = remeasure(probe, h, columns)
        numerical = probe.numerical(jvp)
        mask = failing & valid
        mask[:, [c for c in range(mask.shape[1]) if c not in columns]] = False
        if mask.any() and _agree(analytic[mask], numerical[mask], atol, rtol):
            if h < eps:
                why = (f"eps={eps:g} is too large: central differences carry a truncation error of order eps^2 "
                       f"times the third derivative")
            else:
                why = (f"eps={eps:g} is too small: the round-off in f(x + eps) - f(x - eps) is divided by 2 eps "
                       "(worse when the function computes in float32)")
            return [Cause("step_size", f"{why}; with eps={h:g} the failing entries agree (try eps_sweep=True)")]
    return []


def backward_failure(error: Exception) -> Cause:
    """A cause for an exception raised inside backward (the engine checks every gradient's shape)."""
    if isinstance(error, GradientShapeError):
        op, position, got, want = error.op, error.input_index, error.got, error.expected
        try:
            broadcasts = np.broadcast_shapes(got, want) == got and got != want
        except ValueError:
            broadcasts = False
        if broadcasts:
            return Cause("missing_broadcast_sum", f"{op}.backward returned a gradient of shape {got} for its input "
                                                  f"{position} of shape {want}: the input was broadcast in forward "
                                                  "and backward must sum over the broadcast axes (sum_to)")
        return Cause("wrong_shape", f"{op}.backward returned a gradient of shape {got} for its input {position} "
                                    f"of shape {want}: one gradient per input, each of that input's shape")
    return Cause("backward_error", f"backward raised {type(error).__name__}: {error}")
