"""How many threads NumPy's BLAS uses: `set_num_threads` and `get_num_threads`, as in PyTorch.

Layer L0 (stdlib, NumPy and threadpoolctl). tinygrad_edu computes on NumPy, whose only threads are
the BLAS library's (OpenBLAS, MKL, Accelerate...) inside matrix products. Environment variables
such as OPENBLAS_NUM_THREADS work only before NumPy is imported; threadpoolctl changes the running
library's limit at any time, which is what these two functions do. See docs/performance.md for
when one thread is faster.
"""
from __future__ import annotations

from typing import Any

import numpy as np  # noqa: F401  (loads the BLAS library, so threadpoolctl can find it)
from threadpoolctl import threadpool_info, threadpool_limits


def _blas_pools() -> list[dict[str, Any]]:
    return [pool for pool in threadpool_info() if pool["user_api"] == "blas"]


def set_num_threads(n: int) -> None:
    """Set the number of threads NumPy's BLAS uses for matrix products (like `torch.set_num_threads`).

    Takes effect at once and stays until changed. One thread is often faster for the book's small
    networks and on a busy machine; see docs/performance.md.

    Args:
        n: a positive number of threads.

    Example:
        >>> import tinygrad_edu as tg
        >>> tg.set_num_threads(1)
        >>> tg.get_num_threads()
        1
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads(): argument 'n' must be int, not {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads(): the number of threads must be positive, got {n}")
    threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses for matrix products (like `torch.get_num_threads`).

    1 when NumPy runs without a threaded BLAS library.
    """
    return max((int(pool["num_threads"]) for pool in _blas_pools()), default=1)
