"""Interleaved timing and peak-RSS measurement, built for noisy shared machines.

Implementations run in blocks of steps, in an order that rotates every round, inside one
process; each round gives one ratio per implementation against the baseline measured in that
same round, and the table reports medians. Peak RSS is measured in a fresh subprocess per
implementation (peak memory is a per-process number) by resetting the kernel's high-water mark.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def interleaved(steps: dict[str, Callable[[], object]], rounds: int, block: int, baseline: str) -> dict[str, dict]:
    """Median seconds per step and median per-round ratio to `baseline` for each implementation."""
    names = list(steps)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            step = steps[name]
            start = time.perf_counter()
            for _ in range(block):
                step()
            per_round[name].append((time.perf_counter() - start) / block)
    return {
        name: {
            "median_s": statistics.median(times),
            "ratio": statistics.median(t / b for t, b in zip(times, per_round[baseline])),
        }
        for name, times in per_round.items()
    }


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


def peak_growth_in_subprocess(workload: str, implementation: str, steps: int) -> dict[str, float]:
    """Run benchmarks.memory in a fresh interpreter so each implementation gets its own peak."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", workload, implementation, str(steps)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])
