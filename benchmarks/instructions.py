"""Instructions per op, counted by valgrind: a per-op measure that a loaded machine cannot blur.

    python -m benchmarks.instructions [--repeats 2000]

Wall and CPU time of a 20-microsecond op move by half on a shared machine; the number of
instructions the interpreter executes for it does not. Each case runs in a fresh interpreter
under `valgrind --tool=callgrind` twice, with 0 and with `repeats` iterations, and the difference
divided by `repeats` is the cost of one iteration (imports and setup cancel). Needs valgrind;
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
}
SETUP = ("import tinygrad_edu as tg\na = tg.tensor([1.0], requires_grad=True)\n"
         "b = tg.tensor([2.0], requires_grad=True)\n")


def instructions(body: str, repeats: int) -> int:
    """Instructions executed by a fresh interpreter that imports, sets up and runs `body` `repeats` times."""
    program = SETUP + f"for _ in range({repeats}):\n    {body}\n"
    env = dict(os.environ, PYTHONHASHSEED="0")
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                             "-c", program], capture_output=True, text=True, env=env, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args(argv)
    print("| op | instructions per call |\n|---|---|")
    for name, body in CASES.items():
        per_call = (instructions(body, args.repeats) - instructions(body, 0)) / args.repeats
        print(f"| {name} | {per_call:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
