"""Synthetic data that needs no files: the 3-arm spiral and the book's quadratic bowl.

Layer L6 (NumPy + the library generator). `spiral` is the classic toy classification set
(CS231n's): `num_classes` arms of points whose angle grows with the radius, plus Gaussian angle
noise, which no linear model separates. `quadratic_bowl` is f(x, y) = x**2 / 20 + y**2 from
chapter 6 of the book (the optimizer-path comparison, started at (-7, 2)); it accepts numbers,
arrays or Tensors, so `quadratic_bowl(x, y).backward()` gives its gradient. See docs/data.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import random


def spiral(points_per_class: int = 100, num_classes: int = 3, seed: int | None = None, *,
           noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Points on `num_classes` spiral arms: (x float32 (N, 2), t int64 (N,)), N = points * classes.

    Arm k has radius r = 0..1 and angle 4k + 4r (radians) plus N(0, noise**2) jitter; points are
    ordered arm by arm. The jitter is drawn from the library generator (`manual_seed`), or from a
    generator of its own when `seed` is given.
    """
    for name, value in (("points_per_class", points_per_class), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
            raise ValueError(f"spiral: {name} must be a positive integer, got {value!r}")
    if noise < 0:
        raise ValueError(f"spiral: noise must be >= 0, got {noise}")
    rng = random.generator() if seed is None else np.random.default_rng(seed)
    radius = np.linspace(0.0, 1.0, points_per_class)
    x = np.empty((points_per_class * num_classes, 2), dtype=np.float32)
    t = np.repeat(np.arange(num_classes, dtype=np.int64), points_per_class)
    for arm in range(num_classes):
        jitter = rng.standard_normal(points_per_class) * noise
        angle = np.linspace(4.0 * arm, 4.0 * (arm + 1), points_per_class) + jitter
        rows = slice(arm * points_per_class, (arm + 1) * points_per_class)
        x[rows, 0] = radius * np.sin(angle)
        x[rows, 1] = radius * np.cos(angle)
    return x, t


def quadratic_bowl(x: Any, y: Any) -> Any:
    """The book's f(x, y) = x**2 / 20 + y**2 (elongated along x; minimum 0 at the origin)."""
    return x ** 2 / 20 + y ** 2


def quadratic_bowl_grad(x: Any, y: Any) -> tuple[Any, Any]:
    """Its gradient (x / 10, 2 y), for checking an optimizer step by hand."""
    return x / 10, 2 * y
