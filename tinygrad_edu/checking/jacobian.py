"""Both sides of the comparison: J from backprop and J from central differences, one pair at a time.

Layer L4 (imports tensor, autograd). A `Probe` looks at the Jacobian J of one output with respect
to one input through cotangents U (rows of J^T seeded by backward) and directions V (finite
differences along V): the checker compares U^T J V from both sides. Full mode takes U and V as
identities, so the whole Jacobian is compared entry by entry (one backward per output element,
two forwards per input element). Fast mode draws a few random U and V from the library
generator, so a big tensor costs a few passes. Every cotangent is random or a unit vector,
never all ones: a backward that permutes its gradient cannot hide. `forward_jvps` gets J V a
third way, by forward mode, for gradcheck(check_forward_ad=True). See docs/gradcheck.md.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import forward_ad
from ..autograd.engine import grad as autograd_grad
from ..random import generator
from .._tensor import Tensor
from .numerical import call, directional

PROJECTIONS = 2  # cotangents and directions per pair in fast mode: enough to tell a factor from a pattern


@dataclass
class Probe:
    """One (output, input) pair: analytic J^T U, numerical J V and the one-sided jump, as arrays."""

    output: int
    input: int
    output_shape: tuple[int, ...]
    input_shape: tuple[int, ...]
    vjp: np.ndarray  # (input size, p): J^T U from backward; zeros when backward gave None
    none: bool  # backward returned no gradient at all for this input
    jvp: np.ndarray  # (output size, q): J V by central differences
    jump: np.ndarray  # (output size, q): forward minus backward one-sided differences
    cotangents: np.ndarray | None  # (output size, p); None is the identity (full Jacobian)
    directions: np.ndarray | None  # (input size, q); None is the identity

    def analytic(self, vjp: np.ndarray | None = None) -> np.ndarray:
        """U^T J V from backprop (or from another vjp, to test a hypothesis about it)."""
        w = self.vjp if vjp is None else vjp
        return w.T if self.directions is None else w.T @ self.directions

    def numerical(self, jvp: np.ndarray | None = None) -> np.ndarray:
        """U^T J V from central differences (or from another jvp, e.g. at another step)."""
        n = self.jvp if jvp is None else jvp
        return n if self.cotangents is None else self.cotangents.T @ n

    def jump_size(self, jump: np.ndarray | None = None) -> np.ndarray:
        """How far the one-sided differences disagree, per compared entry, with its sign."""
        j = self.jump if jump is None else jump
        return j if self.cotangents is None else self.cotangents.T @ j

    def direction(self, index: int) -> np.ndarray:
        return column(self.directions, index, int(np.prod(self.input_shape)))

    def label(self, row: int, column: int) -> str:
        """How an entry is named in the report: its Jacobian indices, or its projection numbers."""
        if self.cotangents is not None:
            return f"u{row} . J v{column}"
        return f"{element_index(row, self.output_shape)}, {element_index(column, self.input_shape)}"


def column(matrix: np.ndarray | None, index: int, size: int) -> np.ndarray:
    """Column `index` of `matrix`, or of the size x size identity when `matrix` is None (full mode)."""
    if matrix is not None:
        return matrix[:, index]
    unit = np.zeros(size)
    unit[index] = 1.0
    return unit


def element_index(flat: int, shape: tuple[int, ...]) -> str:
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else "()"


def differentiable(outputs: Sequence[Tensor]) -> list[int]:
    """The float outputs; one that does not require grad is still checked (its gradient is missing)."""
    return [k for k, out in enumerate(outputs) if out.dtype.kind == "f"]


def draw_projections(outputs: Sequence[Tensor], values: Sequence[Any], checked: Sequence[int],
                     fast_mode: bool) -> tuple[dict[int, np.ndarray | None], dict[int, np.ndarray | None]]:
    """Cotangents per output and directions per input: random in fast mode, identities otherwise."""
    if not fast_mode:
        return {k: None for k in range(len(outputs))}, {i: None for i in checked}
    rng = generator()
    cotangents: dict[int, np.ndarray | None] = {k: rng.standard_normal((out.data.size, PROJECTIONS))
                                                for k, out in enumerate(outputs)}
    directions: dict[int, np.ndarray | None] = {i: rng.standard_normal((values[i].data.size, PROJECTIONS))
                                                for i in checked}
    return cotangents, directions


def analytic_vjps(outputs: Sequence[Tensor], values: Sequence[Any], checked: Sequence[int],
                  cotangents: dict[int, np.ndarray | None]) -> dict[tuple[int, int], np.ndarray | None]:
    """J^T U for every (output, input) pair by backward; None where backward gave no gradient."""
    wanted = [values[i] for i in checked]
    result: dict[tuple[int, int], np.ndarray | None] = {}
    for k in differentiable(outputs):
        out = outputs[k]
        result.update({(k, i): None for i in checked})
        if not out.requires_grad:
            continue  # computed under no_grad or detached: backward gives nothing
        u = cotangents[k]
        columns = out.data.size if u is None else u.shape[1]
        vjps: dict[int, np.ndarray | None] = {i: None for i in checked}
        for c in range(columns):
            seed = column(u, c, out.data.size)
            grads = autograd_grad(out, wanted, seed.reshape(out.data.shape), retain_graph=True, allow_unused=True)
            for i, g in zip(checked, grads):
                if g is None:
                    continue
                vjp = vjps[i]
                if vjp is None:
                    vjp = vjps[i] = np.zeros((values[i].data.size, columns))
                vjp[:, c] = np.asarray(g.data, dtype=np.float64).reshape(-1)
        for i in checked:
            result[(k, i)] = vjps[i]
    return result


def numerical_jvps(fn: Callable[..., Any], values: Sequence[Any], base: list[np.ndarray], position: int,
                   directions: np.ndarray | None, h: float,
                   columns: Sequence[int] | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """J V (and the one-sided jump) for every output, for the given direction columns of one input."""
    size = values[position].data.size
    if columns is None:
        columns = range(size if directions is None else directions.shape[1])
    columns = list(columns)
    jvps = [np.zeros((b.size, len(columns))) for b in base]
    jumps = [np.zeros((b.size, len(columns))) for b in base]
    for slot, c in enumerate(columns):
        d = column(directions, c, size)
        central, jump = directional(fn, values, base, position, d, h)
        for k in range(len(base)):
            jvps[k][:, slot] = central[k]
            jumps[k][:, slot] = jump[k]
    return jvps, jumps


def forward_jvps(fn: Callable[..., Any], values: Sequence[Any], position: int, directions: np.ndarray | None,
                 output_sizes: Sequence[int]) -> list[np.ndarray]:
    """J V for every output by forward mode (the ops' jvp rules): one pass per direction column."""
    x = values[position]
    columns = x.data.size if directions is None else directions.shape[1]
    jvps = [np.zeros((size, columns)) for size in output_sizes]
    for c in range(columns):
        d = column(directions, c, x.data.size)
        with forward_ad.dual_level():
            dual = forward_ad.make_dual(x, Tensor(d.reshape(x.shape)))
            outputs = call(fn, [dual if v is x else v for v in values])
            for k, out in enumerate(outputs):
                tangent = forward_ad.unpack_dual(out).tangent
                if tangent is not None and k < len(jvps):
                    jvps[k][:, c] = np.asarray(tangent.data, dtype=np.float64).reshape(-1)
    return jvps


def build_probes(fn: Callable[..., Any], outputs: Sequence[Tensor], values: Sequence[Any], checked: Sequence[int],
                 base: list[np.ndarray], eps: float, cotangents: dict[int, np.ndarray | None],
                 directions: dict[int, np.ndarray | None],
                 vjps: dict[tuple[int, int], np.ndarray | None]) -> list[Probe]:
    """Every (output, input) Probe from the analytic vjps and two forwards per direction."""
    keep = differentiable(outputs)
    probes = []
    for i in checked:
        jvps, jumps = numerical_jvps(fn, values, base, i, directions[i], eps)
        for k in keep:
            vjp, u = vjps[(k, i)], cotangents[k]
            p = outputs[k].data.size if u is None else u.shape[1]
            probes.append(Probe(k, i, outputs[k].shape, values[i].shape,
                                np.zeros((values[i].data.size, p)) if vjp is None else vjp, vjp is None,
                                jvps[k], jumps[k], cotangents[k], directions[i]))
    return probes
