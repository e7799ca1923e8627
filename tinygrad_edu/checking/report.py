"""What a gradient check found, as data (for tests) and as text (for people).

Layer L4 (NumPy only). `GradcheckResult` holds one `PairResult` per (output, input) pair, the
likely `Cause`s that causes.py detected, notes, and an optional eps sweep; `report()` renders
it: which output and input, how many entries fail, the worst entries as a table (index,
analytic, numerical, abs and rel error), the causes, and the entries skipped as kinks.
`GradcheckError` carries the result as `.result`. See docs/gradcheck.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The cause kinds causes.py can name; tests and users match on these strings.
CAUSE_KINDS = (
    "constant_factor", "sign", "transposed", "flipped", "missing_gradient", "wrong_saved_tensor",
    "missing_broadcast_sum", "wrong_shape", "backward_error", "nondeterministic", "constant_output", "missing_mask",
    "non_finite", "step_size", "unexplained", "forward_ad",
)


@dataclass
class Cause:
    """One likely reason for a failure: a kind from CAUSE_KINDS and a sentence for the reader."""

    kind: str
    message: str


@dataclass
class Entry:
    """One compared value: a Jacobian entry (full mode) or a projection u_a^T J v_b (fast mode)."""

    index: str
    analytic: float
    numerical: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numerical)

    @property
    def rel_error(self) -> float:
        return self.abs_error / abs(self.numerical) if self.numerical != 0 else float("inf")


@dataclass
class PairResult:
    """The comparison for one output and one input that requires grad."""

    output: int
    input: int
    output_shape: tuple[int, ...]
    input_shape: tuple[int, ...]
    compared: int
    failed: int
    skipped: int = 0
    worst: list[Entry] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    skipped_at: list[str] = field(default_factory=list)
    mode: str = "reverse"  # "forward": forward-mode J v (check_forward_ad) against central differences

    @property
    def passed(self) -> bool:
        return self.failed == 0


@dataclass
class GradcheckResult:
    """Everything one gradcheck/gradgradcheck call found; truthy when the check passed."""

    order: int
    fast_mode: bool
    eps: float
    atol: float
    rtol: float
    upcast_inputs: list[int] = field(default_factory=list)
    skipped_inputs: list[int] = field(default_factory=list)
    pairs: list[PairResult] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sweep: Any = None
    upcast_dtypes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.causes and all(pair.passed for pair in self.pairs)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def failures(self) -> list[PairResult]:
        return [pair for pair in self.pairs if not pair.passed]

    @property
    def cause_kinds(self) -> list[str]:
        """Every detected cause kind, global ones first, without repeats."""
        kinds = [cause.kind for cause in self.causes]
        for pair in self.pairs:
            kinds.extend(cause.kind for cause in pair.causes)
        return list(dict.fromkeys(kinds))

    @property
    def skipped(self) -> int:
        return sum(pair.skipped for pair in self.pairs)

    def report(self) -> str:
        return format_report(self)

    def __str__(self) -> str:
        return format_report(self)


class GradcheckError(RuntimeError):
    """Raised when backprop and numerical differentiation disagree; `.result` has the details."""

    def __init__(self, message: str, result: Any = None) -> None:  # a GradcheckResult or ModuleCheckResult
        super().__init__(message)
        self.result = result


def _number(value: float) -> str:
    return f"{value:.6g}" if value != float("inf") else "inf"


def format_table(header: list[str], rows: list[list[str]], indent: str = "  ") -> str:
    """A plain-text table with left-aligned columns (also used by the sweep and check_module)."""
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(indent + line for line in lines)


def _pair_lines(pair: PairResult, fast_mode: bool) -> list[str]:
    what = "projections u^T J v" if fast_mode else "Jacobian entries"
    mode = "forward mode: " if pair.mode == "forward" else ""
    head = (f"{mode}output {pair.output} {pair.output_shape} w.r.t. input {pair.input} {pair.input_shape}: "
            f"{pair.failed} of {pair.compared} {what} differ")
    lines = [head]
    for cause in pair.causes:
        lines.append(f"  likely cause ({cause.kind}): {cause.message}")
    if pair.worst:
        index_name = "u_a . J v_b" if fast_mode else "(output idx, input idx)"
        rows = [[entry.index, _number(entry.analytic), _number(entry.numerical), _number(entry.abs_error),
                 _number(entry.rel_error)] for entry in pair.worst]
        lines.append("  worst entries:")
        lines.append(format_table([index_name, "analytic", "numerical", "abs error", "rel error"], rows, "    "))
    lines.extend(_skipped_lines(pair))
    return lines


def _skipped_lines(pair: PairResult) -> list[str]:
    if not pair.skipped:
        return []
    where = ", ".join(pair.skipped_at[:6]) + (", ..." if len(pair.skipped_at) > 6 else "")
    return [f"  skipped: non-differentiable within eps: {pair.skipped} entries (one-sided differences "
            f"disagree) at input {pair.input} elements {where}"]


def format_report(result: GradcheckResult) -> str:
    """The text a failing check raises with (and a passing one can print)."""
    order = "second order (gradgradcheck)" if result.order == 2 else "first order"
    mode = "fast mode: random projections" if result.fast_mode else "full Jacobian"
    verdict = "passed" if result.passed else "FAILED"
    lines = [f"gradcheck {verdict}: {order}, {mode}; eps={result.eps:g}, atol={result.atol:g}, rtol={result.rtol:g}"]
    for position, dtype in zip(result.upcast_inputs, result.upcast_dtypes):
        lines.append(f"input {position} is {dtype}: checked in a float64 copy (the original is untouched)")
    if result.skipped_inputs:
        names = ", ".join(str(i) for i in result.skipped_inputs)
        lines.append(f"input {names} not checked (does not require grad)")
    for cause in result.causes:
        lines.append(f"likely cause ({cause.kind}): {cause.message}")
    for pair in result.pairs:
        if not pair.passed:
            lines.append("")
            lines.extend(_pair_lines(pair, result.fast_mode))
        elif pair.skipped:
            lines.append("")
            lines.append(f"output {pair.output} w.r.t. input {pair.input}: all {pair.compared - pair.skipped} "
                         f"differentiable entries agree")
            lines.extend(_skipped_lines(pair))
    for note in result.notes:
        lines.append(f"note: {note}")
    if result.sweep is not None:
        lines.append("")
        lines.append(result.sweep.table())
    return "\n".join(lines)
