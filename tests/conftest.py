"""Shared test set-up: Hypothesis profiles and a seeded library generator for every test.

Profiles: `dev` (quick, for the edit-test loop) and `ci` (more examples, no deadline). CI=true
selects `ci`; HYPOTHESIS_PROFILE overrides. Both are derandomized: a run is reproducible.
"""
import os

# One BLAS thread (unless the caller chose otherwise), set before NumPy is first imported: the
# suite's matrices are small, and OpenBLAS threads spinning on 2 busy cores made the example
# tests ~8x slower (1m45s instead of 13s for tests/test_examples_ch6.py at load 8).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest
from hypothesis import HealthCheck, settings

import tinygrad_edu as tg

settings.register_profile("dev", max_examples=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, database=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def _seeded_library_generator():
    """Every test starts from the same library seed and leaves grad mode and dtype as it found them."""
    tg.manual_seed(0)
    default = tg.get_default_dtype()
    yield
    tg.set_default_dtype(default)
    assert tg.is_grad_enabled(), "a test left grad mode off"
