"""`make bench`: check that all implementations agree, then time them and print the table.

    python -m benchmarks.run [--workloads W1,W2,W3,W4] [--rounds 15] [--quick] [--no-torch]

Output is Markdown, pasted into docs/performance.md. Ratios are medians of per-round ratios
against the hand-written NumPy step measured in the same round (robust to machine noise).
"""
from __future__ import annotations

import argparse
import importlib.util
import itertools
import time
from dataclasses import replace

import numpy as np

from . import micro
from .timing import interleaved, peak_growth_in_subprocess
from .workloads import BUILDERS, WORKLOADS, batches, initial_weights, inputs_for


def check_agreement(key: str, implementations: list[str]) -> dict[str, float]:
    """Loss of the first two steps in every implementation (dropout off: masks cannot match)."""
    w = WORKLOADS[key]
    data = batches(w)
    losses = {}
    for name in implementations:
        step = BUILDERS[name](w, dropout=0.0)
        feeds = inputs_for(name, data)
        losses[name] = [step(*feeds[0]), step(*feeds[1])]
    reference = losses["numpy"]
    for name, values in losses.items():
        for k, (ours, theirs) in enumerate(zip(values, reference)):
            if abs(ours - theirs) > 1e-5 * abs(theirs) + 1e-6:
                raise SystemExit(f"{key}: {name} loss at step {k + 1} is {ours:.8f}, hand-written NumPy gives "
                                 f"{theirs:.8f}: the implementations disagree, timings would be meaningless")
    return {name: values[1] for name, values in losses.items()}


def matmul_only_step(key: str) -> callable:
    """The matrix products of one training step alone: the floor no implementation can beat."""
    w = WORKLOADS[key]
    weights = [weight for weight, _ in initial_weights(w)]
    x0, _ = batches(w)[0]

    def step() -> None:
        activations = [x0]
        for weight in weights:
            activations.append(activations[-1] @ weight.T)
        grad = activations[-1]
        for weight, a in zip(reversed(weights), reversed(activations[:-1])):
            _ = grad.T @ a
            grad = grad @ weight

    return step


def where_time_goes(key: str, rounds: int) -> dict[str, float]:
    """Split one tinygrad_edu step into BLAS, other NumPy work and Python overhead.

    BLAS is the matmuls-only step; Python overhead is the same network at width 1 and batch 2,
    where every op still runs but arithmetic is negligible; the rest is NumPy elementwise work.
    """
    w = WORKLOADS[key]
    tiny = replace(w, sizes=(1,) * len(w.sizes), batch=2)
    steps = {}
    for name, workload in (("full", w), ("tiny", tiny)):
        step_fn = BUILDERS["tinygrad_edu"](workload)
        feeds = itertools.cycle(inputs_for("tinygrad_edu", batches(workload)))
        steps[name] = (lambda fn=step_fn, it=feeds: fn(*next(it)))
    steps["blas"] = matmul_only_step(key)
    for fn in steps.values():
        for _ in range(3):
            fn()
    result = interleaved(steps, rounds=rounds, block=10, baseline="full")
    blas, python = result["blas"]["ratio"], result["tiny"]["ratio"]
    return {"step_ms": result["full"]["median_s"] * 1e3, "blas": blas, "python": python,
            "numpy_elementwise": max(0.0, 1.0 - blas - python)}


def bench_workload(key: str, implementations: list[str], rounds: int, block_seconds: float) -> dict[str, dict]:
    """Interleaved timing; each block runs about `block_seconds` of the hand-written step."""
    w = WORKLOADS[key]
    data = batches(w)
    steps = {}
    for name in implementations:
        step_fn = BUILDERS[name](w)
        feeds = itertools.cycle(inputs_for(name, data))
        steps[name] = (lambda fn=step_fn, it=feeds: fn(*next(it)))
    steps["matmuls only"] = matmul_only_step(key)
    for fn in steps.values():
        for _ in range(3):
            fn()
    start = time.perf_counter()
    steps["numpy"]()  # one warm step sizes the blocks: long enough to time, short enough to interleave
    block = max(2, int(block_seconds / max(1e-4, time.perf_counter() - start)))
    return interleaved(steps, rounds=rounds, block=block, baseline="numpy")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="few rounds, for a smoke test")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args(argv)
    implementations = ["numpy", "tinygrad_edu"]
    if not args.no_torch and importlib.util.find_spec("torch") is not None:
        import torch
        torch.set_num_threads(2)  # the same two cores NumPy's BLAS uses here
        implementations.append("pytorch")
    rounds = 3 if args.quick else args.rounds
    keys = args.workloads.split(",")
    print(f"# tinygrad_edu benchmark ({time.strftime('%Y-%m-%d')}, numpy {np.__version__}, "
          f"{', '.join(implementations)}; per-step medians over {rounds} interleaved rounds)\n")
    print("| workload | " + " | ".join(implementations) + " | matmuls only | tinygrad_edu / numpy | "
          "tinygrad_edu / pytorch |")
    print("|---|" + "---|" * (len(implementations) + 3))
    memory_rows = []
    for key in keys:
        check_agreement(key, implementations)
        w = WORKLOADS[key]
        result = bench_workload(key, implementations, rounds, 0.01 if args.quick else 0.05)
        cells = [f"{result[n]['median_s'] * 1e3:.3f} ms ({result[n]['ratio']:.2f}x)" for n in implementations]
        cells.append(f"{result['matmuls only']['median_s'] * 1e3:.3f} ms ({result['matmuls only']['ratio']:.2f}x)")
        vs_torch = "n/a"
        if "pytorch" in result:
            vs_torch = f"{result['tinygrad_edu']['ratio'] / result['pytorch']['ratio']:.2f}x"
        print(f"| {w.name} | " + " | ".join(cells) + f" | **{result['tinygrad_edu']['ratio']:.2f}x** | {vs_torch} |",
              flush=True)
        if not args.no_memory:
            memory_rows.append((key, {n: peak_growth_in_subprocess(key, n, 20 if args.quick else 200)
                                      for n in implementations}))
    if memory_rows:
        print("\n| workload | " + " | ".join(f"{n} peak-RSS growth" for n in implementations)
              + " | tinygrad_edu / numpy | tinygrad_edu RSS drift after step 10 |")
        print("|---|" + "---|" * (len(implementations) + 2))
        for key, mem in memory_rows:
            cells = [f"{mem[n]['peak_growth_mib']:.1f} MiB" for n in implementations]
            baseline = mem["numpy"]["peak_growth_mib"]
            ratio = f"{mem['tinygrad_edu']['peak_growth_mib'] / baseline:.2f}x" if baseline >= 0.1 else "n/a (< 0.1 MiB)"
            print(f"| {key} | " + " | ".join(cells) + f" | {ratio} | {mem['tinygrad_edu']['drift_mib']:+.1f} MiB |")
    if "W2" in keys:
        split = where_time_goes("W2", rounds)
        print(f"\nWhere one W2 step goes ({split['step_ms']:.2f} ms): BLAS {split['blas']:.0%}, "
              f"NumPy elementwise {split['numpy_elementwise']:.0%}, Python overhead {split['python']:.0%}")
    overhead = micro.tiny_op_overhead(5000 if args.quick else 20000)
    print("\n| per-op overhead | microseconds |\n|---|---|")
    for name, value in overhead.items():
        print(f"| {name} | {value:.2f} |")
    chain = micro.chain_backward((1_000, 3_000, 10_000) if args.quick else (10_000, 30_000, 100_000))
    print("\n| chain length | backward, us per op |\n|---|---|")
    for n, value in chain.items():
        print(f"| {n:,} | {value:.2f} |")


if __name__ == "__main__":
    main()
