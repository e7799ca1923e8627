"""Instructions per op, counted by valgrind: a per-op measure that a loaded machine cannot blur.

    python -m benchmarks.instructions [--repeats 2000] [--cases 5,6]

Run it from the repository root (the W2 case imports `benchmarks.workloads`).

Wall and CPU time of a 20-microsecond op move by half on a shared machine; the number of
instructions the interpreter executes for it does not. Each case runs in a fresh interpreter
under `valgrind --tool=callgrind` with `repeats` iterations; the count of one run with none (imports
and setup) is subtracted and the rest divided by `repeats`. Needs valgrind;
slow (about a minute per case), so it is a tool for comparing two versions of the code, not
part of `make bench`.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

CASES = {
    "a + b, forward + backward": "(a + b).backward(); a.grad = b.grad = None",
    "a + b under no_grad": "with tg.no_grad(): a + b",
    "a + b recorded (forward only)": "a + b",
    "20 multiplications + sum, forward + backward": "chain(a).backward(); a.grad = None",
    "tiny 3-layer MLP step (Linear, ReLU, cross_entropy, SGD)": "step()",
    "W2 step at width 1 and batch 2 (the benchmark's net and Adam, arithmetic negligible)": "w2_step()",
}
SETUP = """\
import numpy as np
import tinygrad_edu as tg
a = tg.tensor([1.0], requires_grad=True)
b = tg.tensor([2.0], requires_grad=True)

def chain(x):
    for _ in range(20):
        x = x * 1.0000001
    return x.sum()

tg.manual_seed(0)
net = tg.nn.Sequential(tg.nn.Linear(4, 4), tg.nn.ReLU(), tg.nn.Linear(4, 4), tg.nn.ReLU(), tg.nn.Linear(4, 3))
opt = tg.optim.SGD(net.parameters(), lr=0.01)
images = tg.tensor(np.random.default_rng(0).standard_normal((2, 4)), dtype=tg.float32)
labels = tg.tensor([0, 2])

def step():
    opt.zero_grad()
    tg.nn.functional.cross_entropy(net(images), labels).backward()
    opt.step()

import itertools
from benchmarks.workloads import WORKLOADS, inputs_for
w2 = WORKLOADS["W2"].tiny()
w2_train, w2_feeds = w2.build("tinygrad_edu"), itertools.cycle(inputs_for("tinygrad_edu", w2.batches()))

def w2_step():
    w2_train(*next(w2_feeds))
"""


def instructions(body: str, repeats: int) -> int:
    """Instructions executed by a fresh interpreter that imports, sets up and runs `body` `repeats` times."""
    program = SETUP + f"for _ in range({repeats}):\n    {body}\n"
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")  # no pool threads
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                             "-c", program], capture_output=True, text=True, env=env, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--cases", default="", help="comma-separated case numbers (1-based); all by default")
    args = parser.parse_args(argv)
    chosen = {int(n) for n in args.cases.split(",") if n} or set(range(1, len(CASES) + 1))
    # Compile the package once outside the count: a first run after an edit also writes the .pyc files.
    subprocess.run([sys.executable, "-c", SETUP], check=True, capture_output=True)
    baseline = instructions("pass", 0)  # imports and setup, the same for every case
    print("| op | instructions per call |\n|---|---|")
    for number, (name, body) in enumerate(CASES.items(), start=1):
        if number not in chosen:
            continue
        per_call = (instructions(body, args.repeats) - baseline) / args.repeats
        print(f"| {name} | {per_call:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
