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


class Generator:
    """PyTorch's `torch.Generator`: a seedable source of random numbers of its own.

    Pass it as `generator=` to rand/randn/randint, DataLoader and random_split to make those draws
    reproducible independently of `manual_seed`. `Generator().manual_seed(42)` returns the generator.
    """

    def __init__(self, device: str = "cpu") -> None:
        if device not in ("cpu", None):
            raise RuntimeError(f"Generator: device {device!r} is not available: tinygrad_edu runs on NumPy ('cpu')")
        self._seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0]) % 2**63  # fresh OS entropy
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed this generator (and return it, so `Generator().manual_seed(0)` reads as in PyTorch)."""
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed


def rng_of(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator to draw from: `generator`'s own, or the library's when None."""
    if generator is None:
        return _generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tinygrad_edu.Generator or None, got {type(generator).__name__}")
    return generator.rng
