"""`make bench`: check that all implementations agree, then time them and print the tables.

    python -m benchmarks.run [--workloads W1,W2,W3,W4] [--rounds 91] [--threads 2] [--quick] [--no-torch]

Output is Markdown, pasted into docs/performance.md. Every ratio is paired: in each round every
implementation runs a timed block of steps (see timing.py), and a ratio is taken between two
blocks of the same round; the table shows the median and, in brackets, the 25th-75th percentiles.
"""
from __future__ import annotations

import argparse
import importlib.util
import itertools
import statistics
import time

from . import conv_floor, micro
from .machine import describe, limit_threads
from .timing import paired_blocks, paired_ratio, peak_growth_in_subprocess
from .workloads import WORKLOADS, inputs_for

FLOOR = "matmuls only"


def check_agreement(key: str, implementations: list[str]) -> dict[str, float]:
    """Loss of the first two steps in every implementation (dropout off: masks cannot match)."""
    w = WORKLOADS[key]
    data = w.batches()
    losses = {}
    for name in implementations:
        step = w.build(name, dropout=0.0)
        feeds = inputs_for(name, data)
        losses[name] = [step(*feeds[0]), step(*feeds[1])]
    reference = losses["numpy"]
    for name, values in losses.items():
        for k, (ours, theirs) in enumerate(zip(values, reference)):
            if abs(ours - theirs) > 1e-5 * abs(theirs) + 1e-6:
                raise SystemExit(f"{key}: {name} loss at step {k + 1} is {ours:.8f}, hand-written NumPy gives "
                                 f"{theirs:.8f}: the implementations disagree, timings would be meaningless")
    return {name: values[1] for name, values in losses.items()}


def training_steps(w, implementations: list[str]) -> dict[str, callable]:
    """Zero-argument steps, each cycling through the workload's batches in its own input type."""
    data = w.batches()
    steps = {}
    for name in implementations:
        step_fn = w.build(name)
        feeds = itertools.cycle(inputs_for(name, data))
        steps[name] = (lambda fn=step_fn, it=feeds: fn(*next(it)))
    return steps


def where_time_goes(key: str, rounds: int, block_seconds: float, settle_seconds: float) -> dict[str, float]:
    """Split one tinygrad_edu step into BLAS, other NumPy work and Python overhead.

    BLAS is the matmuls-only step; Python overhead is the same network at width 1 and batch 2,
    where every op still runs but arithmetic is negligible; the rest is NumPy elementwise work.
    """
    w = WORKLOADS[key]
    steps = {"full": training_steps(w, ["tinygrad_edu"])["tinygrad_edu"],
             "tiny": training_steps(w.tiny(), ["tinygrad_edu"])["tinygrad_edu"],
             "blas": w.floor_step()}
    per_round = paired_blocks(steps, rounds, block_seconds, settle_seconds)
    blas, python = paired_ratio(per_round, "blas", "full")[1], paired_ratio(per_round, "tiny", "full")[1]
    return {"step_ms": statistics.median(per_round["full"]) * 1e3, "blas": blas, "python": python,
            "numpy_elementwise": max(0.0, 1.0 - blas - python)}


def ratio_cell(per_round: dict[str, list[float]], name: str, baseline: str) -> str:
    p25, median, p75 = paired_ratio(per_round, name, baseline)
    return f"{median:.2f}x ({p25:.2f}-{p75:.2f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--rounds", type=int, default=91)
    parser.add_argument("--threads", type=int, default=2, help="threads for NumPy's BLAS and for PyTorch alike")
    parser.add_argument("--block", type=float, default=0.2, help="seconds of one timed block")
    parser.add_argument("--settle", type=float, default=0.2,
                        help="untimed seconds before the first block after a change of runtime")
    parser.add_argument("--quick", action="store_true", help="few short rounds, for a smoke test")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args(argv)
    with_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    implementations = ["numpy", "tinygrad_edu"] + (["pytorch"] if with_torch else [])
    limits = limit_threads(args.threads, with_torch)  # noqa: F841 (the limits hold while it lives)
    rounds = 3 if args.quick else args.rounds
    block, settle = (0.02, 0.02) if args.quick else (args.block, args.settle)
    keys = args.workloads.split(",")
    for key in keys:
        if key not in WORKLOADS:
            raise SystemExit(f"unknown workload {key!r}; known: {', '.join(WORKLOADS)}")

    print(f"# tinygrad_edu benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}\n")
    for line in describe(with_torch):
        print(f"    {line}")
    print(f"\n{rounds} rounds; in each, every implementation runs a timed block of about {block:g} s, those on "
          f"NumPy back to back, and {settle:g} s untimed before the first block after a change between NumPy and "
          f"PyTorch. Ratios are per-round pairs: median (25th-75th percentile).\n")
    columns = {"numpy": "hand-written NumPy", "tinygrad_edu": "tinygrad_edu", "pytorch": "PyTorch", FLOOR: FLOOR}
    header = ["workload"] + [f"{columns[n]} ms/step" for n in implementations + [FLOOR]]
    header += ["tinygrad_edu / NumPy"] + (["tinygrad_edu / PyTorch"] if with_torch else []) + ["matmuls / NumPy"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    memory_rows = []
    for key in keys:
        check_agreement(key, implementations)
        w = WORKLOADS[key]
        steps = training_steps(w, implementations)
        steps[FLOOR] = w.floor_step()
        per_round = paired_blocks(steps, rounds, block, settle, runtimes={"pytorch": "torch"})
        cells = [f"{statistics.median(per_round[n]) * 1e3:.3f}" for n in implementations + [FLOOR]]
        cells.append(f"**{ratio_cell(per_round, 'tinygrad_edu', 'numpy')}**")
        if with_torch:
            cells.append(ratio_cell(per_round, "tinygrad_edu", "pytorch"))
        cells.append(ratio_cell(per_round, FLOOR, "numpy"))
        print(f"| {w.name} | " + " | ".join(cells) + " |", flush=True)
        if not args.no_memory:
            memory_rows.append((key, {n: peak_growth_in_subprocess(key, n, 20 if args.quick else 200, args.threads)
                                      for n in implementations}))
    if memory_rows:
        print("\n| workload | " + " | ".join(f"{columns[n]} peak-RSS growth" for n in implementations)
              + " | tinygrad_edu / NumPy | tinygrad_edu RSS drift after step 10 |")
        print("|---|" + "---|" * (len(implementations) + 2))
        for key, mem in memory_rows:
            cells = [f"{mem[n]['peak_growth_mib']:.1f} MiB" for n in implementations]
            baseline = mem["numpy"]["peak_growth_mib"]
            growth = mem['tinygrad_edu']['peak_growth_mib']
            ratio = f"{growth / baseline:.2f}x" if baseline >= 0.1 else "n/a (< 0.1 MiB)"
            print(f"| {key} | " + " | ".join(cells) + f" | {ratio} | {mem['tinygrad_edu']['drift_mib']:+.1f} MiB |")
    if "W2" in keys:
        split = where_time_goes("W2", rounds, block, settle)
        print(f"\nWhere one tinygrad_edu W2 step goes ({split['step_ms']:.3f} ms): BLAS {split['blas']:.0%}, "
              f"NumPy elementwise {split['numpy_elementwise']:.0%}, Python overhead {split['python']:.0%}")
    if "W5" in keys:
        print("\nEach conv layer of the book's convnets against its GEMMs alone (best of repeats):\n")
        print(conv_floor.table(100, 3 if args.quick else 20))
    overhead = micro.tiny_op_overhead(5000 if args.quick else 20000)
    print("\n| per-op overhead | microseconds |\n|---|---|")
    for name, value in overhead.items():
        print(f"| {name} | {value:.2f} |")
    steps = micro.optimizer_step(repeats=100 if args.quick else 500)
    print("\n| optimizer step, 20 parameters of 100 elements | flat, CPU us | one by one, CPU us |\n|---|---|---|")
    for name, value in steps.items():
        print(f"| {name} | {value['flat']:.1f} | {value['one by one']:.1f} |")
    chain = micro.chain_backward((1_000, 3_000, 10_000) if args.quick else (10_000, 30_000, 100_000))
    print("\n| chain length | backward, us per op |\n|---|---|")
    for n, value in chain.items():
        print(f"| {n:,} | {value:.2f} |")


if __name__ == "__main__":
    main()
