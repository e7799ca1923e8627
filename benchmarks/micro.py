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
            start = time.process_time()
            for _ in range(repeats // 5):
                fn()
            samples.append((time.process_time() - start) / (repeats // 5) * 1e6)
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
            start = time.process_time()
            y.backward()
            samples.append((time.process_time() - start) / n * 1e6)
            del y
        per_op[n] = min(samples)  # noise only ever adds time
    return per_op


def optimizer_step(parameters: int = 20, size: int = 100, repeats: int = 500) -> dict[str, dict[str, float]]:
    """CPU microseconds of one optimizer step over `parameters` small tensors, flat path on and off.

    Process time, not wall time: on a shared machine it leaves out the time other processes hold
    the core. Each setting runs 7 times, interleaved; the median is reported.
    """
    import tinygrad_edu as tg
    from tinygrad_edu import optim
    from tinygrad_edu.optim import _flat

    rng = np.random.default_rng(0)
    makers = {"Adam": lambda ps: optim.Adam(ps), "SGD momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
              "SGD": lambda ps: optim.SGD(ps, lr=0.1)}
    flat_limit = _flat.FLAT_MAX_SIZE
    results: dict[str, dict[str, float]] = {}
    try:
        for name, make in makers.items():
            samples: dict[str, list[float]] = {"flat": [], "one by one": []}
            for _ in range(7):
                for mode, limit in (("flat", flat_limit), ("one by one", 0)):
                    _flat.FLAT_MAX_SIZE = limit
                    params = [tg.tensor(rng.standard_normal(size).astype(np.float32), requires_grad=True)
                              for _ in range(parameters)]
                    for p in params:
                        p.grad = tg.tensor(rng.standard_normal(size).astype(np.float32))
                    opt = make(params)
                    for _ in range(10):
                        opt.step()
                    start = time.process_time()
                    for _ in range(repeats):
                        opt.step()
                    samples[mode].append((time.process_time() - start) / repeats * 1e6)
            results[name] = {mode: statistics.median(values) for mode, values in samples.items()}
    finally:
        _flat.FLAT_MAX_SIZE = flat_limit
    return results
