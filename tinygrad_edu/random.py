"""The one random number generator behind every random draw in the library.

Layer L0 (NumPy only). `rand`, `randn`, `nn.init`, `Dropout` and `DataLoader(shuffle=True)` all
draw from `generator()`, so `manual_seed(n)` makes a whole run reproducible. Nothing here touches
NumPy's legacy global state (`np.random.seed`). See docs/tensor.md.
"""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the library's generator; every later random draw is reproducible from here."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The generator every random draw must use (read it at draw time, never cache it)."""
    return _generator


def seed_from_generator() -> int:
    """An integer seed drawn from the library generator, for components that own a generator."""
    return int(_generator.integers(0, 2**63 - 1))
