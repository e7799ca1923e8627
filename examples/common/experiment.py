"""What every experiment shares: its command line, its images, and its row in the results table.

Each script in examples/chNN/ is one experiment of "Deep Learning from Scratch". They all take the
same flags (parse_args), load the same real images (load_images returns an `Images` record: the
arrays and what they are; never fake data) and add one row to docs/results/results.json
(record_result), which examples/run_book.py turns into docs/results/README.md.

This package sits above the library (it imports only tinygrad_edu's public API) and is not part
of the installed package. See docs/chapter4.md for how the examples are organised.
"""
from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = ROOT / "docs" / "results"
RESULTS_FILE = "results.json"
CONVENTIONS = ("pytorch", "book")
DATASETS = ("auto", "fashion-mnist", "mnist", "embedded")
DATASET_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "embedded": "embedded Fashion-MNIST subset"}


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
                            help="auto: MNIST when its files are found, else full Fashion-MNIST, else the "
                                 "embedded subset (--quick: the embedded subset)")
        parser.add_argument("--data-dir", default=None, help="directory holding the IDX files (.gz or raw)")
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT_DIR), help="where figures and results.json go")
    parser.add_argument("--seed", type=int, default=0, help="seed for tinygrad_edu.manual_seed")
    parser.set_defaults(convention="pytorch", dataset="auto", data_dir=None)
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    args.started = time.perf_counter()
    return args


@dataclass(frozen=True)
class Images:
    """The images an experiment runs on, and what they are.

    train and test are (images, labels) NumPy arrays in the book's shapes (read-only: copy before
    changing them in place); dataset is "mnist", "fashion-mnist" or "embedded"; description is
    the loader's line saying where the files came from.
    """

    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    dataset: str
    description: str

    @property
    def name(self) -> str:
        """The data set's name for titles and tables, e.g. "Fashion-MNIST"."""
        return DATASET_NAMES[self.dataset]

    @property
    def label(self) -> str:
        """Name and sizes, e.g. "Fashion-MNIST: train 60000 images, test 10000 images" (the table's cell)."""
        return f"{self.name}: train {len(self.train[0])} images, test {len(self.test[0])} images"

    def first(self, train: int | None = None, test: int | None = None) -> Images:
        """The first `train` training and `test` test images (None: all of them), for a shorter run."""
        return replace(self, train=(self.train[0][:train], self.train[1][:train]),
                       test=(self.test[0][:test], self.test[1][:test]))


_IMAGE_CACHE: dict[tuple, Images] = {}


def load_images(args: argparse.Namespace, *, normalize: bool = True, flatten: bool = True,
                one_hot_label: bool = False) -> Images:
    """The experiment's images from tinygrad_edu.data.load_mnist, in the book's shapes.

    --dataset auto reads MNIST when its files are found (the book's data), else the full
    Fashion-MNIST, else the subset inside the package; --quick makes auto mean the embedded
    subset (unless --data-dir names files), so the tests see the same images on every machine.
    Prints which data it used. Cached per process (run_book runs every example in one process).
    """
    from tinygrad_edu.data import load_mnist

    key = (args.dataset, args.data_dir, args.quick, normalize, flatten, one_hot_label)
    if key not in _IMAGE_CACHE:
        for dataset in _candidates(args):
            try:
                train, test, description = load_mnist(normalize=normalize, flatten=flatten,
                                                      one_hot_label=one_hot_label, dataset=dataset,
                                                      root=args.data_dir, return_source=True)
            except FileNotFoundError:
                if dataset == args.dataset:  # asked for by name: its error says where it looked
                    raise
                continue
            for array in (*train, *test):
                array.flags.writeable = False
            _IMAGE_CACHE[key] = Images(train, test, dataset, description)
            break
    images = _IMAGE_CACHE[key]
    print(f"data: {images.description}")
    return images


def _candidates(args: argparse.Namespace) -> tuple[str, ...]:
    """The data sets to try, in order, for --dataset (auto: the book's MNIST first)."""
    if args.dataset != "auto":
        return (args.dataset,)
    if args.data_dir is not None:  # the user's directory; its files are read as Fashion-MNIST
        return ("fashion-mnist",)
    return ("embedded",) if args.quick else ("mnist", "fashion-mnist", "embedded")


def trained_checkpoint(path: str | Path, made_by: str) -> Path:
    """The checkpoint an experiment reads, or SystemExit saying which example writes it."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"{path}: no such checkpoint; run {made_by} first (it writes it; --checkpoint names "
                         f"another)")
    return path


def _out_dir(out: argparse.Namespace | str | Path) -> Path:
    return Path(out.out_dir if isinstance(out, argparse.Namespace) else out)


def record_result(experiment: str, ours: str, book: str, dataset: str, out: argparse.Namespace | str | Path,
                  seconds: float | None = None) -> dict:
    """Merge one row into <out_dir>/results.json (keyed by experiment) and return it.

    dataset is the table's data cell (Images.label, or what the experiment computes on). out is
    the example's args (out_dir, quick, started) or a directory. seconds defaults to the time since
    parse_args. A --quick run prints the row but writes nothing: its numbers are not results.
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
