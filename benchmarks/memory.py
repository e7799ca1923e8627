"""Child process of timing.peak_growth_in_subprocess: one implementation, one workload, JSON out."""
from __future__ import annotations

import itertools
import json
import sys

from .timing import measure_peak_growth
from .workloads import BUILDERS, WORKLOADS, batches, inputs_for


def main() -> None:
    workload, implementation, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if implementation == "pytorch":
        import torch
        torch.set_num_threads(2)
    w = WORKLOADS[workload]
    step_fn = BUILDERS[implementation](w)
    data = itertools.cycle(inputs_for(implementation, batches(w)))

    def step() -> None:
        step_fn(*next(data))

    print(json.dumps(measure_peak_growth(step, steps=steps)))


if __name__ == "__main__":
    main()
