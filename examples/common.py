"""What every example shares: command line, image data, figures, the results table, progress, accuracy.

Each examples/*.py file is one experiment from "Deep Learning from Scratch" ch. 4-6. They all take
the same flags (parse_args), load the same real images (load_images: never fake data), draw their
figures with matplotlib only when it is installed (save_figure), and add one row to
docs/results/results.json (record_result), which examples/run_book.py turns into
docs/results/README.md. ProgressBar and evaluate_accuracy are the two pieces of a PyTorch-style
training loop that the library itself leaves to the user (the loops themselves are in
examples/training.py).

This file sits above the library (it imports only tinygrad_edu's public API) and is not part of
the installed package. See docs/chapter4.md for how the examples are organised.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_edu as tg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = ROOT / "docs" / "results"
RESULTS_FILE = "results.json"
CONVENTIONS = ("pytorch", "book")
DATASETS = ("auto", "fashion-mnist", "mnist", "embedded")
PLOT_HINT = ("matplotlib is not installed, so no figure was written; the numbers above are complete. "
             "For the figures: pip install 'tinygrad_edu[plot]' (make demo and make book install it).")


def parse_args(description: str | None, argv: list[str] | None = None,
               extra: Callable[[argparse.ArgumentParser], None] | None = None, *, images: bool = True,
               conventions: bool = True) -> argparse.Namespace:
    """The flags every example understands; `extra(parser)` may add the example's own.

    images=False drops --dataset/--data-dir (the experiment uses no images); conventions=False
    drops --convention (nothing differs between the book and PyTorch). The attributes exist either
    way with their defaults, so shared code can read them. args.started is the start time that
    record_result uses to report how long the run took.
    """
    lines = (description or "").strip().splitlines()
    parser = argparse.ArgumentParser(description=lines[0] if lines else None,
                                     epilog="\n".join(lines[1:]).strip() or None,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a run of a couple of seconds (used by the tests)")
    if conventions:
        parser.add_argument("--convention", choices=CONVENTIONS, default="pytorch",
                            help="the book's exact formulas or PyTorch's (default: pytorch)")
    if images:
        parser.add_argument("--dataset", choices=DATASETS, default="auto",
                            help="auto: full Fashion-MNIST when its files are found, else the embedded subset")
        parser.add_argument("--data-dir", default=None, help="directory holding the IDX files (.gz or raw)")
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT_DIR), help="where figures and results.json go")
    parser.add_argument("--seed", type=int, default=0, help="seed for tinygrad_edu.manual_seed")
    parser.set_defaults(convention="pytorch", dataset="auto", data_dir=None)
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    args.started = time.perf_counter()
    return args


_IMAGE_CACHE: dict[tuple, tuple] = {}


def load_images(args: argparse.Namespace, *, normalize: bool = True, flatten: bool = True,
                one_hot_label: bool = False) -> tuple[tuple[np.ndarray, np.ndarray],
                                                      tuple[np.ndarray, np.ndarray], str]:
    """((x_train, t_train), (x_test, t_test), source) from tinygrad_edu.data.load_mnist, in the book's shapes.

    source is the loader's one-line description (name, where from, sizes); it is printed here so
    every run says which data it used. In --quick mode "auto" means the embedded subset (unless
    --data-dir names files to use), so the tests see the same images on every machine. The arrays are cached per process (run_book runs
    every example in one process) and read-only: copy before changing them in place.
    """
    from tinygrad_edu.data import load_mnist

    dataset = args.dataset
    if args.quick and dataset == "auto" and args.data_dir is None:
        dataset = "embedded"
    key = (dataset, args.data_dir, normalize, flatten, one_hot_label)
    if key not in _IMAGE_CACHE:
        train, test, source = load_mnist(normalize=normalize, flatten=flatten, one_hot_label=one_hot_label,
                                         dataset=dataset, root=args.data_dir, return_source=True)
        for array in (*train, *test):
            array.flags.writeable = False
        _IMAGE_CACHE[key] = (train, test, source)
    train, test, source = _IMAGE_CACHE[key]
    print(f"data: {source}")
    return train, test, source


def _out_dir(out: argparse.Namespace | str | Path) -> Path:
    return Path(out.out_dir if isinstance(out, argparse.Namespace) else out)


def save_figure(draw: Callable[[], Any], name: str, out: argparse.Namespace | str | Path) -> Path | None:
    """Call draw() (it builds and returns a matplotlib Figure) and save it as <out_dir>/<name>.png.

    matplotlib is imported here, lazily, with the Agg backend (no display needed). Without it the
    example still runs; this prints how to get the figures and returns None.
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
    path = _out_dir(out) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")
    return path


def record_result(experiment: str, ours: str, book: str, dataset: str, out: argparse.Namespace | str | Path,
                  seconds: float | None = None) -> dict:
    """Merge one row into <out_dir>/results.json (keyed by experiment) and return it.

    out is the example's args (out_dir, quick, started) or a directory. seconds defaults to the time
    since parse_args. A --quick run prints the row but writes nothing: its numbers are not results.
    """
    if seconds is None:
        started = getattr(out, "started", None)
        seconds = time.perf_counter() - started if started is not None else float("nan")
    row = {"experiment": experiment, "ours": str(ours), "book": str(book), "dataset": str(dataset),
           "seconds": round(float(seconds), 1)}
    print(f"result: {experiment}: ours {row['ours']} | book {row['book']} | {row['dataset']} | {row['seconds']} s")
    if getattr(out, "quick", False):
        return row
    path = _out_dir(out) / RESULTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(path.read_text()) if path.exists() else {}
    rows[experiment] = row
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(rows, indent=1) + "\n")  # insertion order: the order of the runs
    temporary.replace(path)
    return row


class ProgressBar:
    """A one-line progress bar with the latest metrics, e.g. `epoch 1 [#####-----] 300/600 loss 0.512`.

    Drawn only on a terminal and outside --quick mode (logs and tests stay clean); otherwise every
    call is a no-op and the caller prints its own per-epoch lines.
    """

    def __init__(self, total: int, label: str = "", enabled: bool = True, width: int = 30) -> None:
        self.total, self.label, self.width, self.count = max(int(total), 1), label, width, 0
        self.enabled = enabled and sys.stdout.isatty()
        self._last_draw = 0.0

    def update(self, steps: int = 1, **metrics: float) -> None:
        self.count = min(self.count + steps, self.total)
        now = time.perf_counter()
        # Redrawing every step would cost more than a small net's step; 20 redraws a second suffice.
        if not self.enabled or (now - self._last_draw < 0.05 and self.count < self.total):
            return
        self._last_draw = now
        filled = self.width * self.count // self.total
        text = " ".join(f"{name} {value:.4f}" for name, value in metrics.items())
        sys.stdout.write(f"\r{self.label} [{'#' * filled}{'-' * (self.width - filled)}] "
                         f"{self.count}/{self.total} {text}")
        sys.stdout.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()


def parameter_dtype(model) -> np.dtype | None:
    """The dtype of the model's first parameter (None for a plain function).

    Inputs are cast to it batch by batch: NumPy multiplies float32 by float64 matrices without
    BLAS, tens of times slower, and the book's float32 images times float64 weights give the
    same numbers as float64 images.
    """
    parameters = getattr(model, "parameters", None)
    first = next(iter(parameters()), None) if parameters is not None else None
    return first.dtype if first is not None else None


def evaluate_accuracy(model: Callable[[tg.Tensor], tg.Tensor], x: np.ndarray, t: np.ndarray,
                      batch_size: int = 1000) -> float:
    """Fraction of rows of x whose highest score is the label t (class indices or one-hot rows).

    Runs under no_grad() and in eval() mode (BatchNorm uses running statistics, Dropout is off),
    then puts the model back in the mode it was in.
    """
    x = x.numpy() if isinstance(x, tg.Tensor) else np.asarray(x)
    t = t.numpy() if isinstance(t, tg.Tensor) else np.asarray(t)
    dtype = parameter_dtype(model) or x.dtype
    labels = t.argmax(axis=1) if t.ndim == 2 else t
    if len(x) != len(labels):
        raise ValueError(f"evaluate_accuracy: {len(x)} inputs but {len(labels)} labels")
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    correct = 0
    with tg.no_grad():
        for start in range(0, len(x), batch_size):
            scores = model(tg.tensor(x[start:start + batch_size], dtype=dtype)).numpy()
            correct += int((scores.argmax(axis=1) == labels[start:start + batch_size]).sum())
    if was_training:
        model.train()
    return correct / max(len(x), 1)

