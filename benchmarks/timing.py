"""Paired block timing and peak-RSS measurement, built for noisy shared machines.

Why blocks with a settle period: NumPy's BLAS (OpenBLAS, pthreads) and PyTorch (OpenMP) each keep
a pool of worker threads that spin for a while after every call before they sleep (OpenBLAS's for
about 0.1 s). When single steps of the two alternate, one runtime's spinning workers take the
cores the other one needs, and every implementation, the matmuls-only floor included, looks
1.5-3x slower than it is. So the implementations of one runtime run back to back, and where the
runtime changes, the next one first runs untimed for `settle_seconds` (the other pools go to
sleep, its own warm up). Within a runtime only a short untimed warm-up precedes each block (its
data back in cache): the pool is the same and already awake, and blocks that follow each other
closely see the same state of the machine, so their ratio varies less. The order rotates every
round; each round gives one ratio per implementation against the baseline's block of that same
round, and we report the median and the 25th-75th percentiles of those paired ratios. Peak RSS
is measured in a fresh subprocess per implementation (peak memory is a per-process number).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

# Untimed steps before a block that follows one of the same runtime: enough to bring its data
# back into cache, far shorter than a settle period.
WARM_SECONDS = 0.02


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
                  settle_seconds: float, runtimes: dict[str, str] | None = None) -> dict[str, list[float]]:
    """Seconds per step of every implementation in each of `rounds` rounds of timed blocks.

    `runtimes` names the thread pools each implementation uses (e.g. {"pytorch": "torch"});
    unnamed ones share NumPy's. A settle period precedes a block only where the runtime changes.
    """
    runtime_of = {name: (runtimes or {}).get(name, "numpy") for name in steps}
    groups = [[name for name in steps if runtime_of[name] == runtime] for runtime in dict.fromkeys(runtime_of.values())]
    block = {name: steps_lasting(fn, block_seconds) for name, fn in steps.items()}
    settle = {name: steps_lasting(fn, settle_seconds) for name, fn in steps.items()}
    warm = {name: steps_lasting(fn, min(settle_seconds, WARM_SECONDS)) for name, fn in steps.items()}
    per_round: dict[str, list[float]] = {name: [] for name in steps}
    previous_runtime = None
    for round_index in range(rounds):
        shift = round_index % len(groups)
        for group in groups[shift:] + groups[:shift]:
            inner = round_index % len(group)
            for name in group[inner:] + group[:inner]:
                step = steps[name]
                untimed = warm[name] if runtime_of[name] == previous_runtime else settle[name]
                for _ in range(untimed):
                    step()
                previous_runtime = runtime_of[name]
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
