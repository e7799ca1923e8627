"""Before and after a change, paired in one process: the package at an older commit against this tree.

    python -m benchmarks.before_after --before d7bb41f [--workloads W1,W2,W3,W4,W5] [--rounds 15] [--threads 2]

Two `make bench` runs at two commits compare ratios measured minutes apart, each against its own
hand-written step; on a shared machine that is the noisiest way to ask "did this change slow a
step down?". Here the older package is extracted with `git archive` into a temporary folder and
imported under another name (the package imports itself only relatively, so a renamed copy is
self-contained), both build the same workload from the same weights and batches, and their
blocks alternate in the same rounds as in `make bench` (timing.py). The printed ratio is
after / before per round: median and 25th-75th percentiles.
"""
from __future__ import annotations

import argparse
import importlib
import io
import itertools
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .machine import describe, limit_threads
from .timing import paired_blocks, paired_ratio
from .workloads import WORKLOADS, Workload, inputs_for

BEFORE = "tinygrad_edu_before"


def extract_package(commit: str, into: Path) -> str:
    """The package as it was at `commit`, importable as `tinygrad_edu_before` from `into`."""
    try:
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "tinygrad_edu"], check=True,
                                 capture_output=True).stdout
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"before_after: git archive {commit} failed: {error.stderr.decode().strip()}") from None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.11.4
        tar.extractall(into, **safe)
    (into / "tinygrad_edu").rename(into / BEFORE)
    for source in (into / BEFORE).rglob("*.py"):
        for line in source.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith(("import tinygrad_edu", "from tinygrad_edu")):
                raise SystemExit(f"before_after: {source.relative_to(into)} at {commit} imports tinygrad_edu by "
                                 f"name ({line.strip()!r}); a renamed copy would import this tree instead")
    sys.path.insert(0, str(into))
    return BEFORE


def paired_step(w: Workload, package: str, dropout: float | None = None):
    """A zero-argument training step of workload `w` built with `package`, cycling its batches."""
    step = w.build("tinygrad_edu", dropout, package=package)
    feeds = itertools.cycle(inputs_for("tinygrad_edu", w.batches(), package=package))
    return lambda: step(*next(feeds))  # as run.training_steps, with the package named


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit to compare against (any git revision)")
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--block", type=float, default=0.2)
    parser.add_argument("--settle", type=float, default=0.2, help="untimed seconds before the first block")
    args = parser.parse_args(argv)
    keys = args.workloads.split(",")
    for key in keys:
        if key not in WORKLOADS:
            raise SystemExit(f"before_after: no workload {key!r}; choose from {list(WORKLOADS)}")
    _threads = limit_threads(args.threads, with_torch=False)  # keep the handle: it holds the limit
    with tempfile.TemporaryDirectory() as folder:
        before = extract_package(args.before, Path(folder))
        importlib.import_module(before)
        print("\n".join("    " + line for line in describe(with_torch=False, module="benchmarks.before_after")))
        print(f"    before: {args.before}; after: this tree\n")
        print(f"after / before per round ({args.rounds} rounds, {args.threads} threads): "
              "median (25th-75th percentile)\n")
        print("| workload | before ms/step | after ms/step | after / before |\n|---|---|---|---|")
        for key in keys:
            w = WORKLOADS[key]
            # same weights, same batches, dropout off (masks cannot match): the same loss, or the timing
            # compares different work
            losses = paired_step(w, before, dropout=0.0)(), paired_step(w, "tinygrad_edu", dropout=0.0)()
            if abs(losses[0] - losses[1]) > 1e-5 * abs(losses[0]) + 1e-6:
                raise SystemExit(f"{key}: loss {losses[1]:.8f} after, {losses[0]:.8f} before: they disagree")
            steps = {"before": paired_step(w, before), "after": paired_step(w, "tinygrad_edu")}
            per_round = paired_blocks(steps, args.rounds, args.block, args.settle)
            p25, median, p75 = paired_ratio(per_round, "after", "before")
            print(f"| {w.name} | {statistics.median(per_round['before']) * 1e3:.3f} | "
                  f"{statistics.median(per_round['after']) * 1e3:.3f} | **{median:.2f}x** ({p25:.2f}-{p75:.2f}) |",
                  flush=True)


if __name__ == "__main__":
    main()
