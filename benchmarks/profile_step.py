"""Where the Python time of a small-net step goes: cProfile self times of the width-1 step, by file.

    python -m benchmarks.profile_step [W2] [--steps 3000]

At width 1 and batch 2 every op of the workload still runs through the same Python code while
the arithmetic is negligible, so the profile is the framework's interpreter time. Self times
(not cumulative ones) are summed per group of files, so nothing is counted twice; NumPy and
built-in calls form their own group. One thread, as profiling a BLAS pool measures nothing useful.
"""
from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats

from .machine import limit_threads
from .workloads import WORKLOADS, inputs_for

GROUPS = {
    "backward engine bookkeeping (autograd/engine.py)": ("autograd/engine.py",),
    "Function.apply and recording a node (autograd/function.py)": ("autograd/function.py",),
    "the op formulas' own Python (ops/*.py, forward and backward)": ("tinygrad_edu/ops/",),
    "optimizer step and zero_grad (optim/)": ("tinygrad_edu/optim/",),
    "Tensor wrappers and methods (_tensor.py)": ("tinygrad_edu/_tensor.py",),
    "modules (nn/)": ("tinygrad_edu/nn/",),
    "losses and other functional code (functional.py)": ("tinygrad_edu/functional.py",),
    "the rest of tinygrad_edu": ("tinygrad_edu/",),
}


def shares(key: str, steps: int) -> dict[str, float]:
    """Share of the width-1 step's profiled self time per group (NumPy and built-ins last)."""
    w = WORKLOADS[key].tiny()
    step = w.build("tinygrad_edu")
    feeds = itertools.cycle(inputs_for("tinygrad_edu", w.batches()))
    for _ in range(100):  # warm: first steps build optimizer state and plans
        step(*next(feeds))
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(steps):
        step(*next(feeds))
    profile.disable()
    totals = dict.fromkeys([*GROUPS, "NumPy and built-ins called from the above"], 0.0)
    for (filename, _, _), (_, _, self_time, _, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        path = filename.replace("\\", "/")
        group = next((name for name, parts in GROUPS.items() if any(part in path for part in parts)),
                     "NumPy and built-ins called from the above")
        totals[group] += self_time
    whole = sum(totals.values()) or 1.0
    return {name: value / whole for name, value in totals.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", default="W2")
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args(argv)
    _threads = limit_threads(1, with_torch=False)  # keep the handle: it holds the limit
    print(f"| where (width-1 {args.workload} step, {args.steps} steps) | share of its Python |\n|---|---|")
    for name, share in shares(args.workload, args.steps).items():
        print(f"| {name} | {share:.0%} |")


if __name__ == "__main__":
    main()
