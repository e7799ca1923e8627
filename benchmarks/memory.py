"""Child process of timing.peak_growth_in_subprocess: one implementation, one workload, JSON out."""
from __future__ import annotations

import itertools
import json
import sys

from .machine import limit_threads
from .timing import measure_peak_growth
from .workloads import WORKLOADS, inputs_for


def main() -> None:
    workload, implementation, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    limits = limit_threads(threads, with_torch=implementation == "pytorch")  # noqa: F841 (kept alive)
    w = WORKLOADS[workload]
    step_fn = w.build(implementation)
    data = itertools.cycle(inputs_for(implementation, w.batches()))

    def step() -> None:
        step_fn(*next(data))

    print(json.dumps(measure_peak_growth(step, steps=steps)))


if __name__ == "__main__":
    main()
