"""Each conv layer of the book's convnets: tinygrad_edu's forward + backward against its GEMMs alone.

    python -m benchmarks.conv_floor [--threads 2] [--repeats 30] [--clock wall|cpu]

A convolution here is im2col, one GEMM forward, and in backward one GEMM for dW and one for
the columns of dx (then col2im). The floor is those GEMMs on ready-made float32 matrices:
no implementation of im2col convolution beats it. The rest of a layer's time is im2col,
col2im, the layout copies of dy, the bias and the graph. Layers are SimpleConvNet's conv
(ch. 7) and DeepConvNet's six (ch. 8), batch 100; the first layer of each net computes no dx
(its input is the images). Times are the best of `repeats` runs; on a crowded machine
`--threads 1 --clock cpu` (this process's CPU time) is steadier than wall time.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from .machine import limit_threads

# (name, in channels, out channels, kernel, padding, input side, first layer)
LAYERS = [
    ("SimpleConvNet conv1", 1, 30, 5, 0, 28, True),
    ("DeepConvNet conv1", 1, 16, 3, 1, 28, True),
    ("DeepConvNet conv2", 16, 16, 3, 1, 28, False),
    ("DeepConvNet conv3", 16, 32, 3, 1, 14, False),
    ("DeepConvNet conv4", 32, 32, 3, 2, 14, False),
    ("DeepConvNet conv5", 32, 64, 3, 1, 8, False),
    ("DeepConvNet conv6", 64, 64, 3, 1, 8, False),
]


def best_of(fn: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def layer_steps(batch: int, c_in: int, c_out: int, k: int, pad: int, side: int, first: bool):
    """(tinygrad_edu forward + backward, the GEMMs alone) as zero-argument callables."""
    import tinygrad_edu as tg
    import tinygrad_edu.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, side, side), dtype=np.float32)
    w = (rng.standard_normal((c_out, c_in, k, k)) * 0.1).astype(np.float32)
    out_side = side + 2 * pad - k + 1
    dy = rng.standard_normal((batch, c_out, out_side, out_side), dtype=np.float32)
    x_t = tg.tensor(x, requires_grad=not first)
    w_t, b_t = tg.tensor(w, requires_grad=True), tg.tensor(np.zeros(c_out, np.float32), requires_grad=True)
    dy_t = tg.tensor(dy)

    def ours() -> None:
        F.conv2d(x_t, w_t, b_t, padding=pad).backward(dy_t)

    cols = rng.standard_normal((c_in * k * k, batch * out_side * out_side), dtype=np.float32)
    w_matrix = w.reshape(c_out, -1)
    dy_matrix = np.ascontiguousarray(dy.transpose(1, 0, 2, 3).reshape(c_out, -1))

    def gemms() -> None:
        _ = w_matrix @ cols  # forward
        _ = dy_matrix @ cols.T  # dW
        if not first:
            _ = w_matrix.T @ dy_matrix  # the columns of dx

    return ours, gemms


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args(argv)
    limits = limit_threads(args.threads, with_torch=False)  # noqa: F841 (the limits hold while it lives)
    print(table(args.batch, args.repeats, time.process_time if args.clock == "cpu" else time.perf_counter))


def table(batch: int, repeats: int, clock: Callable[[], float] = time.perf_counter) -> str:
    """The Markdown table: one row per layer, ms and the ratio to the GEMM floor."""
    rows = [f"| conv layer (batch {batch}) | shape | tinygrad_edu fwd+bwd ms | GEMMs alone ms | ratio |",
            "|---|---|---|---|---|"]
    for name, c_in, c_out, k, pad, side, first in LAYERS:
        ours, gemms = layer_steps(batch, c_in, c_out, k, pad, side, first)
        mine, floor = best_of(ours, repeats, clock), best_of(gemms, repeats, clock)
        shape = f"{c_in}->{c_out} {k}x{k} pad {pad} on {side}x{side}" + (" (no dx)" if first else "")
        rows.append(f"| {name} | {shape} | {mine * 1e3:.2f} | {floor * 1e3:.2f} | {mine / floor:.2f}x |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
