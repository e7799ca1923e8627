"""Paired block timing and peak-RSS measurement, built for noisy shared machines.

Why blocks with a settle period: NumPy's BLAS (OpenBLAS, pthreads) and PyTorch (OpenMP) each keep
a pool of worker threads that spin for a while after every call before they sleep. When single
steps of the two alternate, one runtime's spinning workers take the cores the other one needs,
and every implementation, the matmuls-only floor included, looks 1.5-3x slower than it is. So
each implementation runs untimed for `settle_seconds` (the other pools go to sleep, its own
warms up) and then runs one timed block. The order rotates every round; each round gives one
ratio per implementation against the baseline's block of that same round, and we report the
median and the 25th-75th percentiles of those paired ratios. Peak RSS is measured in a fresh
subprocess per implementation (peak memory is a per-process number).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """25th, 50th and 75th percentiles (inclusive method, so 3 values give min, median, max)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    p25, p50, p75 = statistics.quantiles(values, n=4, method="inclusive")
    return p25, p50, p75


def steps_lasting(step: Callable[[], object], seconds: float) -> int:
    """How many calls of a warm `step` take about `seconds` (at least 2)."""
    step()
    start = time.perf_counter()
    step()
    return max(2, round(seconds / max(1e-6, time.perf_counter() - start)))


def paired_blocks(steps: dict[str, Callable[[], object]], rounds: int, block_seconds: float,
                  settle_seconds: float) -> dict[str, list[float]]:
    """Seconds per step of every implementation in each of `rounds` rounds of settled blocks."""
    names = list(steps)
    block = {name: steps_lasting(fn, block_seconds) for name, fn in steps.items()}
    settle = {name: steps_lasting(fn, settle_seconds) for name, fn in steps.items()}
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            step = steps[name]
            for _ in range(settle[name]):  # untimed: the other runtime's workers fall asleep
                step()
            start = time.perf_counter()
            for _ in range(block[name]):
                step()
            per_round[name].append((time.perf_counter() - start) / block[name])
    return per_round


def paired_ratio(per_round: dict[str, list[float]], name: str, baseline: str) -> tuple[float, float, float]:
    """25th, 50th, 75th percentiles of `name`'s time over `baseline`'s, round by round."""
    return quartiles([t / b for t, b in zip(per_round[name], per_round[baseline])])


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def measure_peak_growth(step: Callable[[], object], steps: int) -> dict[str, float]:
    """Peak RSS above the pre-training baseline (MiB) over `steps` steps, and the drift after step 10.

    The baseline is taken after the model, optimizer and batches exist but before the first
    step, so the growth is what training needs: activations kept for backward, gradients, the
    optimizer's state. The drift compares RSS after step 10 with RSS after the last step.
    """
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the peak-RSS high-water mark (Linux >= 4.0)
    before = _status_kib("VmRSS")
    settled = before
    for index in range(steps):
        step()
        if index == 9:
            settled = _status_kib("VmRSS")
    after = _status_kib("VmRSS")
    return {"peak_growth_mib": (_status_kib("VmHWM") - before) / 1024, "drift_mib": (after - settled) / 1024}


def peak_growth_in_subprocess(workload: str, implementation: str, steps: int, threads: int) -> dict[str, float]:
    """Run benchmarks.memory in a fresh interpreter so each implementation gets its own peak."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", workload, implementation, str(steps), str(threads)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])
