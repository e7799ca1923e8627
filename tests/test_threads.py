"""tg.set_num_threads / tg.get_num_threads: PyTorch's names for NumPy's BLAS thread count."""
import numpy as np
import pytest
from threadpoolctl import threadpool_info

import tinygrad_edu as tg


@pytest.fixture
def restore_threads():
    before = tg.get_num_threads()
    yield
    tg.set_num_threads(before)


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_set_then_get_round_trips_and_reaches_the_blas_library(restore_threads):
    for n in (2, 1):
        tg.set_num_threads(n)
        assert tg.get_num_threads() == n
        assert _blas_threads() and set(_blas_threads()) == {n}  # the limit is the library's, not a copy
        a = np.arange(64.0).reshape(8, 8)
        np.testing.assert_allclose((tg.tensor(a) @ tg.tensor(a)).numpy(), a @ a)


@pytest.mark.parametrize("bad, error, match", [(0, ValueError, "must be positive, got 0"),
                                               (-2, ValueError, "got -2"),
                                               (1.5, TypeError, "must be int, not float"),
                                               (True, TypeError, "not bool")])
def test_bad_thread_counts_are_refused_and_change_nothing(restore_threads, bad, error, match):
    before = tg.get_num_threads()
    with pytest.raises(error, match=match):
        tg.set_num_threads(bad)
    assert tg.get_num_threads() == before
