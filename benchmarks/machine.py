"""The same thread count for every runtime, and the facts a reader needs to trust a timing.

NumPy's BLAS and PyTorch each size their thread pool on their own; a ratio between them only
means something when both use the same number of threads, so `limit_threads` sets it once for
all of them (threadpoolctl for the BLAS and OpenMP pools, `torch.set_num_threads` for PyTorch's
intra-op pool) and `describe` prints what each library then reports, with the machine, the
versions and the BLAS kernel. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE force an older, slower
OpenBLAS kernel on some processors; `make bench` unsets both for its own command, and the header
says which kernel ran.
"""
from __future__ import annotations

import os
import platform
import sys

import numpy as np

FORCED_KERNEL_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        raise SystemExit("the benchmark needs threadpoolctl to give NumPy's BLAS and PyTorch the same thread "
                         "count: pip install threadpoolctl (it is in the dev extra)") from None
    return threadpoolctl


def limit_threads(threads: int, with_torch: bool) -> object:
    """Give every BLAS / OpenMP pool (and PyTorch's intra-op pool) `threads` threads; keep the handle alive."""
    if with_torch:
        import torch  # loaded first, so its OpenMP runtime is among the pools limited below
        torch.set_num_threads(threads)
    return _threadpoolctl().threadpool_limits(limits=threads)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(with_torch: bool, module: str = "benchmarks.run") -> list[str]:
    """Lines for the report header: machine, load, versions, thread counts and the BLAS kernel."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    lines = [f"machine: {cpu_name()}, {os.cpu_count()} logical cores, load average {load}",
             f"python {platform.python_version()}, numpy {np.__version__}"]
    if with_torch:
        import torch
        lines[-1] += f", torch {torch.__version__} ({torch.get_num_threads()} intra-op threads)"
    for pool in _threadpoolctl().threadpool_info():
        kernel = f", kernel {pool['architecture']}" if pool.get("architecture") else ""
        lines.append(f"{pool['internal_api']} {pool.get('version') or ''} ({os.path.basename(pool['filepath'])}): "
                     f"{pool['num_threads']} threads{kernel}")
    forced = [f"{name}={os.environ[name]}" for name in FORCED_KERNEL_VARIABLES if name in os.environ]
    if forced:
        lines.append(f"WARNING: {', '.join(forced)} is set and may force a slower BLAS kernel; "
                     f"run `make bench`, which unsets it for the benchmark alone")
    lines.append(f"command: {os.path.basename(sys.executable)} -m {module} {' '.join(sys.argv[1:])}".rstrip())
    return lines
