"""The recurring steps of the update rules, named so each rule reads like its formula.

Layer L6, imports numpy only. Each step works in place (ufunc `out=`) on the arrays it is given,
using `work` as scratch, so a rule allocates nothing; all of them are elementwise, so they serve a
single parameter and a whole flat group alike (see _flat.py).
"""
from __future__ import annotations

import numpy as np


def moving_average_(average: np.ndarray, x: np.ndarray, weight: float, work: np.ndarray) -> None:
    """average <- average + weight * (x - average): an exponential moving average of x (torch's lerp_)."""
    np.subtract(x, average, out=work)
    work *= weight
    average += work


def moving_average_of_square_(average: np.ndarray, g: np.ndarray, decay: float, work: np.ndarray) -> None:
    """average <- decay * average + (1 - decay) * g * g: the EMA of g^2 (RMSProp's h, Adam's v)."""
    average *= decay
    np.multiply(g, g, out=work)
    work *= 1 - decay
    average += work


def lr_over_root_(g: np.ndarray, h: np.ndarray, eps: float, lr: float, out: np.ndarray,
                  root_scale: float = 1.0) -> np.ndarray:
    """out <- lr * g / (sqrt(h) / root_scale + eps): the step of AdaGrad, RMSProp and Adam."""
    np.sqrt(h, out=out)
    if root_scale != 1.0:
        out /= root_scale
    out += eps
    np.divide(g, out, out=out)
    out *= lr
    return out
