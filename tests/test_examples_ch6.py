"""The chapter-6 examples in --quick mode: each runs and its key numbers match the book's.

Deterministic results (the optimizer paths on x^2/20 + y^2) are compared with the values
recomputed from the book's formulas (../shared/BOOK.md) to 1e-3, and with an independent NumPy
transcription of those formulas to 1e-10; statistical ones (activation histograms) against the
bands BOOK.md records and the closed-form values for a Gaussian input; trained ones must lower
their loss and beat chance on real images. Every run writes only to a temporary directory.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))


def quick(tmp_path: Path, *flags: str) -> list[str]:
    return ["--quick", "--out-dir", str(tmp_path), *flags]


def test_activation_histograms_match_the_books_bands(tmp_path):
    import ch6_activation_histograms as example

    results = example.main(quick(tmp_path))
    relu = results["relu"]
    he, xavier, small = relu["He sqrt(2/n)"]["std"], relu["Xavier sqrt(1/n)"]["std"], relu["std 0.01"]["std"]
    # Layer 1 of a ReLU net on N(0, 1) input: std of relu(N(0, s^2)) is s * sqrt(1/2 - 1/(2 pi)),
    # with s^2 = 100 * w_std^2 (He: s^2 = 2, Xavier: s^2 = 1).
    assert he[0] == pytest.approx(math.sqrt(2) * math.sqrt(0.5 - 0.5 / math.pi), rel=0.03)
    assert xavier[0] == pytest.approx(math.sqrt(0.5 - 0.5 / math.pi), rel=0.03)
    assert all(0.7 < s < 1.1 for s in he), he  # He keeps every layer alike
    assert all(b < a for a, b in zip(xavier, xavier[1:])) and xavier[-1] < 0.25, xavier  # Xavier shrinks
    ratios = [b / a for a, b in zip(small, small[1:])]
    assert all(0.05 < r < 0.095 for r in ratios), ratios  # 0.01 collapses ~x0.07 per layer
    assert all(0.6 <= s <= 0.8 for s in results["sigmoid"]["std 1"]["saturated"])  # piles up at 0 and 1
    assert all(s < 0.03 for s in results["sigmoid"]["std 0.01"]["std"])  # everything near 0.5
    assert not list(tmp_path.glob("*.png")), "--quick must not write figures"
