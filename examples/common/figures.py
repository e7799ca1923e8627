"""Figures: saving one (matplotlib is optional), the book's accuracy plot and its loss smoothing.

save_figure imports matplotlib lazily with the Agg backend; without matplotlib the experiments
still run and print their numbers. plot_accuracy is the train/test accuracy per epoch that the
book's train_neuralnet.py and train_convnet.py draw; smooth_curve is the book's
common/util.py smoothing of loss curves.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

PLOT_HINT = ("matplotlib is not installed, so no figure was written; the numbers above are complete. "
             "For the figures: pip install 'tinygrad_edu[plot]' (make demo and make book install it).")


def save_figure(draw: Callable[[], Any], name: str, out: argparse.Namespace | str | Path) -> Path | None:
    """Call draw() (it builds and returns a matplotlib Figure) and save it as <out_dir>/<name>.png.

    Without matplotlib this prints how to get the figures and returns None.
    """
    try:
        import matplotlib
    except ImportError:
        print(PLOT_HINT)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = draw()
    if figure is None:
        figure = plt.gcf()
    path = Path(out.out_dir if isinstance(out, argparse.Namespace) else out) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")
    return path


def plot_accuracy(train_accuracy: list[float], test_accuracy: list[float], title: str, ylim: tuple = (0, 1.0)):
    """Train and test accuracy per epoch, the book's figure for its training scripts."""
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(train_accuracy) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, train_accuracy, marker="o", markersize=3, label="train acc")
    ax.plot(epochs, test_accuracy, "--", label="test acc")
    ax.set(xlabel="epochs", ylabel="accuracy", ylim=ylim, title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def smooth_curve(values: list[float] | np.ndarray, window: int = 11) -> np.ndarray:
    """The book's smoothing for loss curves: a Kaiser-window (beta 2) moving average over 11
    points, the ends mirrored so the result has the input's length."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < window:
        return values.copy()
    half = window // 2
    padded = np.concatenate([values[half:0:-1], values, values[-2:-half - 2:-1]])
    weights = np.kaiser(window, 2.0)
    return np.convolve(padded, weights / weights.sum(), mode="valid")
