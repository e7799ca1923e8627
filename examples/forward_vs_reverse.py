"""The cost of a Jacobian: forward mode needs one pass per input, reverse mode one per output.

f: R^n -> R^m is a small network, x -> W2 tanh(W1 x) with 32 hidden units. For a whole Jacobian
forward mode pushes one tangent (a column of the identity) through f per input, n passes;
reverse mode pulls one cotangent (a row) back per output, m passes. The experiment times
tinygrad_edu.autograd.functional.jacobian with strategy="forward-mode" and "reverse-mode" while
n grows at m = 4, then while m grows at n = 4, checks the two Jacobians agree, and draws both
sweeps (docs/results/jacobian_forward_vs_reverse.png; docs/forward_and_reverse.md explains it).

    python examples/forward_vs_reverse.py [--quick]
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core for NumPy, before it is imported

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
from common.experiment import parse_args  # noqa: E402
from common.figures import save_figure  # noqa: E402
from tinygrad_edu.autograd.functional import jacobian  # noqa: E402

HIDDEN = 32
FIXED = 4  # the size of the side that does not vary
SIZES = [1, 2, 4, 8, 16, 32, 64]
QUICK_SIZES = [1, 4]
STRATEGIES = ("forward-mode", "reverse-mode")


def network(n: int, m: int, rng: np.random.Generator):
    """x -> W2 tanh(W1 x): n inputs, m outputs, fixed random weights (float64)."""
    w1 = tg.tensor(rng.standard_normal((HIDDEN, n)) / np.sqrt(n))
    w2 = tg.tensor(rng.standard_normal((m, HIDDEN)) / np.sqrt(HIDDEN))
    return lambda x: w2 @ (w1 @ x).tanh()


def best_time(call, repeats: int) -> float:
    """The fastest of `repeats` runs, in CPU seconds of this process: time spent waiting while
    other programs use the cores does not count, so the curves hold on a busy machine too."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return min(times)


def sweep(vary: str, sizes: list[int], repeats: int, rng: np.random.Generator) -> dict:
    """Jacobian time per strategy as `vary` ("n" or "m") takes each size; the other side stays FIXED."""
    rows = []
    for size in sizes:
        n, m = (size, FIXED) if vary == "n" else (FIXED, size)
        f = network(n, m, rng)
        x = tg.tensor(rng.standard_normal(n))
        jacobians = {s: jacobian(f, x, strategy=s) for s in STRATEGIES}
        difference = float(np.abs(jacobians["forward-mode"].data - jacobians["reverse-mode"].data).max())
        times = {s: best_time(lambda s=s: jacobian(f, x, strategy=s), repeats) for s in STRATEGIES}
        rows.append({"n": n, "m": m, "seconds": times, "max_difference": difference})
        print(f"n={n:3d} m={m:3d}  forward {times['forward-mode'] * 1e3:8.2f} ms  "
              f"reverse {times['reverse-mode'] * 1e3:8.2f} ms  |J_fwd - J_rev| = {difference:.1e}")
    return {"vary": vary, "rows": rows}


def draw(sweeps: list[dict]):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, result in zip(axes, sweeps):
        vary = result["vary"]
        sizes = [row[vary] for row in result["rows"]]
        for strategy, marker in zip(STRATEGIES, ("o", "s")):
            ax.plot(sizes, [row["seconds"][strategy] * 1e3 for row in result["rows"]], marker=marker,
                    label=strategy)
        other = "m" if vary == "n" else "n"
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(f"{vary} ({'inputs' if vary == 'n' else 'outputs'}), {other} = {FIXED}")
        ax.set_title(f"jacobian of f: R^n -> R^m as {vary} grows")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("CPU time (ms, best of 5)")
    figure.tight_layout()
    return figure


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, images=False, conventions=False)
    rng = np.random.default_rng(args.seed)
    sizes, repeats = (QUICK_SIZES, 1) if args.quick else (SIZES, 5)
    sweeps = [sweep("n", sizes, repeats, rng), sweep("m", sizes, repeats, rng)]
    save_figure(lambda: draw(sweeps), "jacobian_forward_vs_reverse", args)
    return {result["vary"]: result["rows"] for result in sweeps}


if __name__ == "__main__":
    main()
