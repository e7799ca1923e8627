"""Error against step size: where truncation error ends and round-off begins.

Layer L4 (NumPy; matplotlib only inside `EpsSweep.plot`, imported there so the library never
needs it). Central differences err by about eps^2 * f''' / 6 (truncation, shrinking with eps)
plus about machine-epsilon * |f| / eps (round-off, growing as eps shrinks); the sum is
smallest near eps = 1e-5 in float64. The sweep re-measures every compared entry at steps
1e-1 ... 1e-10 and tabulates the largest disagreement with backprop at each step; a correct
backward shows a V, a wrong one a floor that no step goes below. See docs/gradcheck.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._tensor import Tensor
from .jacobian import Probe, analytic_vjps, build_probes, draw_projections, numerical_jvps
from .numerical import call, prepare_inputs
from .report import format_table

STEPS = tuple(10.0 ** -n for n in range(1, 11))


@dataclass
class EpsSweep:
    """Rows of (eps, largest abs error, largest abs error / largest |numerical|)."""

    rows: list[tuple[float, float, float]]

    @property
    def best_eps(self) -> float:
        return min(self.rows, key=lambda row: row[1])[0]

    def table(self) -> str:
        best = self.best_eps
        body = [[f"{eps:.0e}", f"{abs_error:.3e}", f"{rel_error:.3e}", "<- smallest" if eps == best else ""]
                for eps, abs_error, rel_error in self.rows]
        return ("eps sweep: largest |analytic - numerical| at each step (truncation error falls as eps^2, "
                "round-off grows as 1/eps)\n" + format_table(["eps", "abs error", "rel error", ""], body))

    def plot(self, path: str | None = None, ax: Any = None) -> Any:
        """A log-log plot of the sweep (needs matplotlib); saved to `path` when given."""
        try:
            import matplotlib
            if ax is None and path is not None:
                matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as error:
            raise RuntimeError("EpsSweep.plot needs matplotlib (pip install matplotlib); "
                               "the table() has the same numbers") from error
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        steps = [row[0] for row in self.rows]
        ax.loglog(steps, [max(row[1], 1e-300) for row in self.rows], marker="o", label="abs error")
        ax.loglog(steps, [max(row[2], 1e-300) for row in self.rows], marker="s", label="rel error")
        ax.invert_xaxis()
        ax.set_xlabel("step eps")
        ax.set_ylabel("largest error vs backprop")
        ax.legend()
        if path is not None:
            ax.figure.savefig(path, bbox_inches="tight")
        return ax.figure


def sweep_probes(fn: Callable[..., Any], values: Sequence[Any], base: list[np.ndarray], probes: list[Probe],
                 steps: Sequence[float] = STEPS) -> EpsSweep:
    """Re-measure every probe's numerical side at each step and keep the worst disagreement."""
    rows = []
    inputs = sorted({probe.input for probe in probes})
    for h in steps:
        worst, scale = 0.0, 0.0
        for i in inputs:
            mine = [probe for probe in probes if probe.input == i]
            jvps, _ = numerical_jvps(fn, values, base, i, mine[0].directions, h)
            for probe in mine:
                numerical = probe.numerical(jvps[probe.output])
                error = np.abs(probe.analytic() - numerical)
                worst = max(worst, float(np.nan_to_num(error, nan=np.inf).max(initial=0.0)))
                scale = max(scale, float(np.abs(numerical).max(initial=0.0)))
        rows.append((h, worst, worst / scale if scale > 0 else float("inf")))
    return EpsSweep(rows)


def eps_sweep(fn: Callable[..., Any], inputs: Sequence[Any] | Tensor, *, fast_mode: bool = False,
              steps: Sequence[float] = STEPS) -> EpsSweep:
    """The sweep on its own: backprop once, central differences at every step in `steps`."""
    prepared = prepare_inputs(inputs, "eps_sweep")
    values, checked = prepared.values, prepared.checked
    outputs = call(fn, values)
    base = [out.data.astype(np.float64).reshape(-1) for out in outputs]
    cotangents, directions = draw_projections(outputs, values, checked, fast_mode)
    vjps = analytic_vjps(outputs, values, checked, cotangents)
    probes = build_probes(fn, outputs, values, checked, base, steps[0], cotangents, directions, vjps)
    return sweep_probes(fn, values, base, probes, steps)
