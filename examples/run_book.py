"""`make book`: run every chapter 4-8 experiment and write docs/results/ (figures and one table).

The runs are listed explicitly below (module, flags), in the book's order; nothing is
discovered. Each example writes its figures into the output directory and merges one row into
results.json (examples/common/experiment.py: record_result); at the end that file becomes
docs/results/README.md, one markdown table: experiment, our result, the book's recorded result,
data set used, seconds. A full run starts from an empty results.json so every row comes from the
code as it is now; --only runs a subset and merges into the existing rows. A failing example is
reported and the others still run; the exit status says whether all passed.

    python examples/run_book.py [--only NAME ...] [--dataset ...] [--out-dir docs/results] [--quick]
        [--book-epochs]

--quick runs every example in its quick mode as a smoke test (no rows, no table). The chapter 7
and 8 conv nets train for minutes per epoch on 2 cores, so they run 2 (SimpleConvNet) and 1
(DeepConvNet) epochs; --book-epochs runs the book's 20 (`make book BOOK_EPOCHS=1`).
"""
from __future__ import annotations

import os

# One BLAS thread: minibatch matrices are small, and on a busy 2-core machine OpenBLAS's second
# thread spins instead of helping (10-20x slower steps measured). Set before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common.experiment import DATASETS, DEFAULT_OUT_DIR, RESULTS_FILE, ROOT  # noqa: E402

BOOK = "book"
# (module under examples/, its flags). Image experiments also get --dataset/--data-dir from the command line.
RUNS: list[tuple[str, list[str]]] = [
    ("ch04.numerical_differentiation", []),
    ("ch04.gradient_field", []),
    ("ch04.gradient_descent", []),
    ("ch04.simplenet", []),
    ("ch04.two_layer_net", ["--convention", BOOK]),
    ("ch04.two_layer_net", ["--convention", "pytorch"]),
    ("ch05.computational_graph", []),
    ("ch05.two_layer_net", ["--convention", BOOK]),
    ("ch05.two_layer_net", ["--convention", "pytorch"]),
    ("ch06.optimizer_paths", ["--convention", BOOK]),
    ("ch06.optimizer_paths", ["--convention", "pytorch"]),
    ("ch06.optimizer_compare", ["--convention", BOOK]),
    ("ch06.optimizer_compare", ["--convention", "pytorch"]),
    ("ch06.activation_histograms", []),
    ("ch06.weight_init_compare", ["--convention", BOOK]),
    ("ch06.weight_init_compare", ["--convention", "pytorch"]),
    ("ch06.batch_norm", ["--convention", BOOK]),
    ("ch06.batch_norm", ["--convention", "pytorch"]),
    ("ch06.batch_norm_gradient_check", ["--convention", BOOK]),
    ("ch06.batch_norm_gradient_check", ["--convention", "pytorch"]),
    ("ch06.overfit_weight_decay", ["--convention", BOOK]),
    ("ch06.overfit_weight_decay", ["--convention", "pytorch"]),
    ("ch06.overfit_dropout", ["--convention", BOOK]),
    ("ch06.overfit_dropout", ["--convention", "pytorch"]),
    ("ch06.hyperparameter_search", ["--convention", BOOK]),
    ("ch06.hyperparameter_search", ["--convention", "pytorch"]),
    ("ch07.im2col", []),
    ("ch07.simple_convnet", ["--epochs", "2"]),  # each --epochs becomes the book's 20 with --book-epochs
    ("ch07.filters", []),
    ("ch08.deep_convnet", ["--epochs", "1"]),
    ("ch08.misclassified", []),
    ("ch08.half_float", []),
    ("fashion_mlp", []),
    ("demo", []),
    ("forward_vs_reverse", []),
    # The two nets the headline claim is about, over 5 seeds; the Fashion MLP once (it is the slowest).
    ("compare_torch", ["--only", "two-layer", "--only", "ch6", "--seeds", "0", "1", "2", "3", "4"]),
    ("compare_torch", ["--only", "fashion-mlp"]),
    ("compare_torch", ["--only", "simple-convnet", "--epochs", "2"]),
    ("compare_torch", ["--only", "deep-convnet", "--epochs", "1"]),
]
BOOK_EPOCHS = "20"  # the book's training length for the chapter 7 and 8 nets
WITHOUT_IMAGES = {"ch04.numerical_differentiation", "ch04.gradient_field", "ch04.gradient_descent",
                  "ch04.simplenet", "ch05.computational_graph", "ch06.optimizer_paths", "ch06.activation_histograms",
                  "ch07.im2col", "forward_vs_reverse"}


def run_one(name: str, flags: list[str], args: argparse.Namespace) -> None:
    if args.book_epochs and "--epochs" in flags:
        flags = [*flags]
        flags[flags.index("--epochs") + 1] = BOOK_EPOCHS
    argv = [*flags, "--out-dir", args.out_dir]
    if name not in WITHOUT_IMAGES:
        argv += ["--dataset", args.dataset] + (["--data-dir", args.data_dir] if args.data_dir else [])
    if args.quick:
        argv.append("--quick")
    importlib.import_module(name).main(argv)


def cell(text: str) -> str:
    return text.replace("|", "\\|")  # a literal | inside a markdown table cell


def chapter_links() -> str:
    """Links to the chapter pages that exist (the docs site's strict build refuses dangling links)."""
    pages = [(n, f"chapter{n}.md") for n in range(4, 9) if (ROOT / "docs" / f"chapter{n}.md").exists()]
    return ", ".join(f"[chapter {n}](../{page})" for n, page in pages)


def write_table(out_dir: Path, seconds: float, failures: list[str], only: list[str] | None = None) -> Path:
    """docs/results/README.md from results.json: one row per experiment, then the figures."""
    rows = json.loads((out_dir / RESULTS_FILE).read_text()) if (out_dir / RESULTS_FILE).exists() else {}
    ran = "all experiments" if not only else f"{', '.join(only)} (the other rows come from earlier runs)"
    lines = ["# Results: our runs next to the book's", "",
             f"Written by `make book` (examples/run_book.py) on {time.strftime('%Y-%m-%d')}, "
             f"{os.cpu_count()} CPU cores (load average {os.getloadavg()[0]:.0f} at the end), "
             f"Python {platform.python_version()}; this call ran {ran} in {seconds / 60:.1f} minutes. "
             "\"Book\" is the result recorded in the book's notebooks (MNIST, one unseeded run) or the value its "
             "formulas give; ours come from the seeded examples in `examples/`, on the data set named in each row. "
             "Commands and explanations: " + chapter_links() + ".", "",
             "| experiment | our result | the book's result | data set | seconds |", "|---|---|---|---|---:|"]
    for row in rows.values():  # in the order the runs recorded them: the book's order
        cells = [row["experiment"], row["ours"], row["book"], row["dataset"]]
        lines.append("| " + " | ".join(cell(text) for text in cells) + f" | {row['seconds']:.1f} |")
    if failures:
        lines += ["", "Failed in this run (no row above): " + ", ".join(failures)]
    figures = sorted(out_dir.glob("*.png"))
    if figures:
        lines += ["", "## Figures", ""] + [f"- [{figure.stem}]({figure.name})" for figure in figures]
    path = out_dir / "README.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these examples (merge their rows)")
    parser.add_argument("--dataset", default="auto", choices=DATASETS)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT_DIR))
    parser.add_argument("--quick", action="store_true", help="every example in quick mode: a smoke test")
    parser.add_argument("--book-epochs", action="store_true",
                        help=f"train the chapter 7 and 8 conv nets for the book's {BOOK_EPOCHS} epochs "
                             "(hours on 2 cores)")
    args = parser.parse_args(argv)
    known = {name for name, _ in RUNS}
    unknown = set(args.only or []) - known
    if unknown:
        parser.error(f"unknown example(s) {sorted(unknown)}; known: {sorted(known)}")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.only is None and not args.quick and (out_dir / RESULTS_FILE).exists():
        (out_dir / RESULTS_FILE).unlink()  # a full run: every row from this run's code
    started = time.perf_counter()
    failures = []
    for name, flags in RUNS:
        if args.only and name not in args.only:
            continue
        print(f"\n=== {name} {' '.join(flags)}", flush=True)
        try:
            run_one(name, flags, args)
        except Exception:  # one broken example must not hide the results of the others
            traceback.print_exc()
            failures.append(f"{name} {' '.join(flags)}".strip())
    seconds = time.perf_counter() - started
    if not args.quick:
        print(f"\ntable: {write_table(out_dir, seconds, failures, args.only)}")
    print(f"{len(failures)} failed: {failures}" if failures else f"all runs finished in {seconds / 60:.1f} minutes")
    return 1 if failures else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
