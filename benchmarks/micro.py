"""Per-op overhead and backward scaling: the two numbers that decide small-net speed.

`tiny_op_overhead` times forward + backward of adding two 1-element tensors (pure Python cost,
NumPy work is negligible). `chain_backward` times backward through chains of n multiplications
for growing n: the time per op must stay flat (linear total time).
"""
from __future__ import annotations

import statistics
import time

import numpy as np


def tiny_op_overhead(repeats: int = 20000) -> dict[str, float]:
    import tinygrad_edu as tg

    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([2.0], requires_grad=True)

    def forward_backward() -> None:
        (a + b).backward()
        a.grad = b.grad = None

    def forward_no_grad() -> None:
        with tg.no_grad():
            a + b

    results = {}
    x, y = np.array([1.0]), np.array([2.0])
    for name, fn in (("add forward+backward", forward_backward), ("add forward (no_grad)", forward_no_grad),
                     ("numpy add", lambda: x + y)):
        for _ in range(1000):
            fn()
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(repeats // 5):
                fn()
            samples.append((time.perf_counter() - start) / (repeats // 5) * 1e6)
        results[name] = statistics.median(samples)
    return results


def chain_backward(lengths: tuple[int, ...] = (10_000, 30_000, 100_000), repeats: int = 3) -> dict[int, float]:
    """Microseconds per op of backward through a chain of `n` multiplications (best of `repeats`)."""
    import gc

    import tinygrad_edu as tg

    per_op = {}
    for n in lengths:
        samples = []
        for _ in range(repeats):
            gc.collect()  # start each sample with the same heap: collector pauses are noise here
            x = tg.tensor([1.0], requires_grad=True)
            y = x
            for _ in range(n):
                y = y * 1.0000001
            start = time.perf_counter()
            y.backward()
            samples.append((time.perf_counter() - start) / n * 1e6)
            del y
        per_op[n] = min(samples)  # noise only ever adds time
    return per_op
