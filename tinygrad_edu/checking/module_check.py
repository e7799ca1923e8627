"""check_module: every parameter of a model against central differences, one table row each.

Layer L4: never imports nn. Anything with `named_parameters()` (and optionally
`named_buffers()`) is checked, by duck typing. The loss is loss_fn(model(*inputs)), or
sum(model(*inputs) * c) for a random cotangent c when there is no loss_fn and the output is
not a scalar. Parameters are swapped for float64 copies during the check and the original
arrays put back afterwards (buffers such as BatchNorm's running statistics too), so the model
leaves exactly as it came. The table is the one the book's gradient_check script prints by
hand (mean absolute difference per parameter), plus max errors, kinks and causes.
See docs/gradcheck.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd.engine import grad as autograd_grad
from ..random import generator
from .._tensor import Tensor
from .causes import diagnose
from .jacobian import Probe
from .numerical import directional
from .report import Cause, GradcheckError, format_table


@dataclass
class ParameterRow:
    """One parameter's comparison: the book's mean abs difference and what it hides."""

    name: str
    shape: tuple[int, ...]
    checked: int
    max_abs_diff: float
    mean_abs_diff: float
    max_rel_error: float
    failed: int
    skipped: int
    causes: list[Cause] = field(default_factory=list)


@dataclass
class ModuleCheckResult:
    """All parameter rows plus global causes; truthy when every row passed."""

    rows: list[ParameterRow]
    causes: list[Cause]
    eps: float
    atol: float
    rtol: float

    @property
    def passed(self) -> bool:
        return not self.causes and all(row.failed == 0 for row in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    def table(self) -> str:
        body = []
        for row in self.rows:
            status = f"FAILED ({row.failed})" if row.failed else "ok"
            if row.skipped:
                status += f", {row.skipped} kinks skipped"
            body.append([row.name, str(row.shape), str(row.checked), f"{row.max_abs_diff:.2e}",
                         f"{row.mean_abs_diff:.2e}", f"{row.max_rel_error:.2e}", status])
        return format_table(["parameter", "shape", "checked", "max abs diff", "mean abs diff", "max rel error",
                             "result"], body)

    def report(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"check_module {verdict}: eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}, "
                 "parameters checked in float64 copies"]
        lines.extend(f"likely cause ({cause.kind}): {cause.message}" for cause in self.causes)
        if self.rows:
            lines.append(self.table())
        for row in self.rows:
            lines.extend(f"{row.name}: likely cause ({cause.kind}): {cause.message}" for cause in row.causes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def check_module(model: Any, inputs: Sequence[Any] | Tensor, loss_fn: Callable[[Any], Tensor] | None = None,
                 max_elements: int | None = None, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                 raise_exception: bool = True) -> ModuleCheckResult:
    """Check every parameter of `model` (anything with named_parameters()) on `inputs`.

    max_elements checks a random subset of that many elements per parameter (drawn from the
    library generator) so big layers stay cheap. Returns the result (print it for the table);
    raises GradcheckError with the report when a parameter fails and raise_exception is set.
    """
    if not callable(getattr(model, "named_parameters", None)):
        raise TypeError(f"check_module needs a model with named_parameters(), got {type(model).__name__}")
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("check_module: the model has no parameter that requires grad")
    if max_elements is not None and max_elements < 1:
        raise ValueError(f"check_module: max_elements must be at least 1, got {max_elements}")
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    values = [Tensor(x.data.astype(np.float64)) if isinstance(x, Tensor) and x.dtype.kind == "f" else x
              for x in inputs]
    originals = [p.data for _, p in named]
    buffers = [(b, b.data, b.data.copy()) for _, b in getattr(model, "named_buffers", lambda: [])()]
    try:
        for _, p in named:
            p.data = p.data.astype(np.float64)
        result = _check(model, [p for _, p in named], [name for name, _ in named], values, loss_fn, max_elements,
                        eps, atol, rtol)
    finally:
        for (_, p), original in zip(named, originals):
            p.data = original
        for tensor, array, saved in buffers:
            array[...] = saved
            tensor.data = array
    if not result.passed and raise_exception:
        raise GradcheckError(result.report(), result)
    return result


def _check(model: Any, params: list[Tensor], names: list[str], values: list[Any],
           loss_fn: Callable[[Any], Tensor] | None, max_elements: int | None, eps: float, atol: float,
           rtol: float) -> ModuleCheckResult:
    cotangent: list[np.ndarray] = []

    def objective(*_: Any) -> Tensor:
        out: Tensor = model(*values)
        if loss_fn is not None:
            out = loss_fn(out)
        if out.data.size == 1:
            return out.reshape(())
        if not cotangent:
            cotangent.append(generator().standard_normal(out.shape))  # random, never all ones
        return (out * cotangent[0]).sum()

    loss = objective()
    base = [loss.data.astype(np.float64).reshape(-1)]
    again = float(objective().data)
    result = ModuleCheckResult([], [], eps, atol, rtol)
    if again != float(base[0][0]):
        result.causes.append(Cause("nondeterministic", f"two forward passes gave losses {float(base[0][0]):.10g} and "
                                                        f"{again:.10g}: the model draws random numbers (Dropout in "
                                                        "training mode?); call model.eval() before checking"))
        return result
    grads = autograd_grad(loss, params, retain_graph=True, allow_unused=True)
    probes = []
    for position, (p, g) in enumerate(zip(params, grads)):
        size = p.data.size
        chosen = np.arange(size)
        if max_elements is not None and size > max_elements:
            chosen = np.sort(generator().choice(size, max_elements, replace=False))
        directions = None  # the identity: every element
        if chosen.size < size:
            directions = np.zeros((size, chosen.size))
            directions[chosen, np.arange(chosen.size)] = 1.0
        vjp = np.zeros((size, 1)) if g is None else np.asarray(g.data, dtype=np.float64).reshape(size, 1)
        probe = Probe(0, position, (), p.shape, vjp, g is None, np.zeros((1, chosen.size)),
                      np.zeros((1, chosen.size)), None, directions)
        for column in range(chosen.size):
            central, jumps = directional(objective, params, base, position, probe.direction(column), eps)
            probe.jvp[0, column], probe.jump[0, column] = central[0][0], jumps[0][0]
        probes.append(probe)

    def remeasure(probe: Probe, h: float, columns: list[int]) -> np.ndarray:
        return np.array([[directional(objective, params, base, probe.input, probe.direction(c), h)[0][0][0]
                          for c in columns]])

    for probe, name in zip(probes, names):
        result.rows.append(_row(probe, name, probes, objective, params, base, remeasure, eps, atol, rtol))
    return result


def _row(probe: Probe, name: str, probes: list[Probe], objective: Callable[..., Tensor], params: list[Tensor],
         base: list[np.ndarray], remeasure: Callable[[Probe, float, list[int]], np.ndarray], eps: float,
         atol: float, rtol: float) -> ParameterRow:
    analytic, numerical = probe.analytic(), probe.numerical()
    diff = np.abs(analytic - numerical)
    tolerance = atol + rtol * np.abs(numerical)
    bad = ~(diff <= tolerance)
    kinks = bad & (np.abs(probe.jump) > tolerance)
    for column in np.nonzero(kinks[0])[0]:
        # confirm: a kink's jump stays as the step shrinks; curvature shrinks it, round-off grows it
        for h in (eps / 4, eps * 4):
            other = directional(objective, params, base, probe.input, probe.direction(int(column)), h)[1][0][0]
            kinks[0, column] &= 0.5 < other / probe.jump[0, column] < 2.0
    failing = bad & ~kinks
    relative = diff / np.maximum(np.abs(numerical), 1e-12)
    row = ParameterRow(name, tuple(probe.input_shape), int(analytic.size), float(diff.max(initial=0.0)),
                       float(diff.mean()) if diff.size else 0.0, float(relative.max(initial=0.0)),
                       int(failing.sum()), int(kinks.sum()))
    if failing.any():
        row.causes = diagnose(probe, ~kinks, failing, probes, remeasure, eps, atol, rtol)
    return row
