"""Where a training step's time goes, phase by phase, against the hand-written step.

    python -m benchmarks.phases [W1] [--steps 2000] [--tiny]

tinygrad_edu's step (zero_grad, forward with the loss, backward, optimizer step) and the
hand-written one (forward with the loss, backward, update) alternate step by step in one
process on one thread, since a BLAS pool's spinning would blur phases this short. Each phase is
timed with perf_counter and the table shows the median of each phase and the ratio of the two
medians. With --tiny the net is the same at width 1 and batch 2, where every phase is
interpreter time, so the difference between the two tables is NumPy work. A profile, not a
benchmark: `make bench` is the paired measurement.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import time
from .machine import limit_threads
from .workloads import MLP, WORKLOADS, inputs_for, reference_net, tinygrad_parts

PHASES = ("zero_grad", "forward + loss", "backward", "optimizer step")


def phase_times(w: MLP, steps: int) -> dict[str, tuple[float, float]]:
    """Median seconds per phase: (tinygrad_edu, hand-written); the hand-written step has no zero_grad."""
    model, optimizer, F = tinygrad_parts(w, w.dropout)
    net = reference_net(w, w.dropout)
    data = w.batches()
    ours_feeds, hand_feeds = itertools.cycle(inputs_for("tinygrad_edu", data)), itertools.cycle(data)
    ours: dict[str, list[float]] = {phase: [] for phase in PHASES}
    hand: dict[str, list[float]] = {phase: [] for phase in PHASES[1:]}
    clock = time.perf_counter
    for _ in range(steps + 50):  # the first 50 warm up (optimizer state, plans, caches) and are dropped
        x, t = next(ours_feeds)
        start = clock()
        optimizer.zero_grad()
        zeroed = clock()
        loss = F.cross_entropy(model(x), t)
        forward = clock()
        loss.backward()
        backward = clock()
        optimizer.step()
        stepped = clock()
        for phase, seconds in zip(PHASES, (zeroed - start, forward - zeroed, backward - forward, stepped - backward)):
            ours[phase].append(seconds)
        images, labels = next(hand_feeds)
        start = clock()
        net.forward(images, labels)
        forward = clock()
        net.backward()
        backward = clock()
        net.update()
        stepped = clock()
        for phase, seconds in zip(PHASES[1:], (forward - start, backward - forward, stepped - backward)):
            hand[phase].append(seconds)
    return {phase: (statistics.median(ours[phase][50:]),
                    statistics.median(hand[phase][50:]) if phase in hand else 0.0) for phase in PHASES}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", default="W1")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--tiny", action="store_true", help="width 1 and batch 2: interpreter time only")
    args = parser.parse_args(argv)
    w = WORKLOADS[args.workload]
    if not isinstance(w, MLP):
        raise SystemExit(f"phases: {args.workload} is not an MLP workload (W1-W4)")
    w = w.tiny() if args.tiny else w
    _threads = limit_threads(1, with_torch=False)  # keep the handle: it holds the limit
    times = phase_times(w, args.steps)
    print(f"{w.name}, 1 thread, median of {args.steps} steps\n")
    print("| phase | tinygrad_edu us | hand-written us | difference us | ratio |\n|---|---|---|---|---|")
    for phase, (ours, hand) in times.items():
        ratio = f"{ours / hand:.2f}x" if hand else "-"
        print(f"| {phase} | {ours * 1e6:.1f} | {hand * 1e6:.1f} | {(ours - hand) * 1e6:+.1f} | {ratio} |")
    ours_total, hand_total = sum(o for o, _ in times.values()), sum(h for _, h in times.values())
    print(f"| whole step (sum of medians) | {ours_total * 1e6:.1f} | {hand_total * 1e6:.1f} | "
          f"{(ours_total - hand_total) * 1e6:+.1f} | {ours_total / hand_total:.2f}x |")


if __name__ == "__main__":
    main()
