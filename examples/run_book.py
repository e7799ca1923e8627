"""`make book`: run every chapter 4-6 experiment and write docs/results/ (figures and one table).

The runs are listed explicitly below (module, flags), in the book's order; nothing is
discovered. Each example writes its figures into the output directory and merges one row into
results.json (examples/common.py: record_result); at the end that file becomes
docs/results/README.md, one markdown table: experiment, our result, the book's recorded result,
data set used, seconds. A full run starts from an empty results.json so every row comes from the
code as it is now; --only runs a subset and merges into the existing rows. A failing example is
reported and the others still run; the exit status says whether all passed.

    python examples/run_book.py [--only NAME ...] [--dataset ...] [--out-dir docs/results] [--quick]

--quick runs every example in its quick mode as a smoke test (no rows, no table).
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
import re
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_OUT_DIR, RESULTS_FILE, ROOT, record_result  # noqa: E402

BOOK = "book"
# (module in examples/, its flags). Image experiments also get --dataset/--data-dir from the command line.
RUNS: list[tuple[str, list[str]]] = [
    ("ch4_numerical_differentiation", []),
    ("ch4_gradient_field", []),
    ("ch4_gradient_descent", []),
    ("ch4_simplenet", []),
    ("ch4_two_layer_net", ["--convention", BOOK]),
    ("ch4_two_layer_net", ["--convention", "pytorch"]),
    ("ch5_computational_graph", []),
    ("ch5_two_layer_net", ["--convention", BOOK]),
    ("ch5_two_layer_net", ["--convention", "pytorch"]),
    ("ch6_optimizer_paths", ["--convention", BOOK]),
    ("ch6_optimizer_paths", ["--convention", "pytorch"]),
    ("ch6_optimizer_compare", ["--convention", BOOK]),
    ("ch6_optimizer_compare", ["--convention", "pytorch"]),
    ("ch6_activation_histograms", []),
    ("ch6_weight_init_compare", ["--convention", BOOK]),
    ("ch6_weight_init_compare", ["--convention", "pytorch"]),
    ("ch6_batch_norm", ["--convention", BOOK]),
    ("ch6_batch_norm", ["--convention", "pytorch"]),
    ("ch6_batch_norm_gradient_check", ["--convention", BOOK]),
    ("ch6_batch_norm_gradient_check", ["--convention", "pytorch"]),
    ("ch6_overfit_weight_decay", ["--convention", BOOK]),
    ("ch6_overfit_weight_decay", ["--convention", "pytorch"]),
    ("ch6_overfit_dropout", ["--convention", BOOK]),
    ("ch6_overfit_dropout", ["--convention", "pytorch"]),
    ("ch6_hyperparameter_search", ["--convention", BOOK]),
    ("ch6_hyperparameter_search", ["--convention", "pytorch"]),
    ("fashion_mlp", []),
    ("demo", []),
    ("forward_vs_reverse", []),
    # The two nets the headline claim is about, over 5 seeds; the Fashion MLP once (it is the slowest).
    ("compare_torch", ["--only", "two-layer", "--only", "ch6", "--seeds", "0", "1", "2", "3", "4"]),
    ("compare_torch", ["--only", "fashion-mlp"]),
]
WITHOUT_IMAGES = {"ch4_numerical_differentiation", "ch4_gradient_field", "ch4_gradient_descent", "ch4_simplenet",
                  "ch5_computational_graph", "ch6_optimizer_paths", "ch6_activation_histograms",
                  "forward_vs_reverse"}
BOOK_SHOPPING = ("price 220, dApple 2.2, dApple_num 110, dTax 200; "
                 "with oranges: price 715, dOrange 3.3, dOrange_num 165, dTax 650")


def run_computational_graph(module, out_dir: Path, quick: bool) -> None:
    """Engineer E's example has main(quick, out_dir) and draws graphs, not a results row: add its row here."""
    started = time.perf_counter()
    # its drawings go where docs/ links them (docs/figures) unless the results go elsewhere too
    drawings = ROOT / "docs" / "figures" if out_dir.resolve() == DEFAULT_OUT_DIR.resolve() else out_dir
    results = module.main(quick=quick, out_dir=drawings)
    apple, both = results["buy_apple"], results["buy_apple_orange"]
    ours = (f"price {apple['price']:.10g}, dApple {apple['dapple']:.10g}, dApple_num {apple['dapple_num']:.10g}, "
            f"dTax {apple['dtax']:.10g}; with oranges: price {both['price']:.10g}, dOrange {both['dorange']:.10g}, "
            f"dOrange_num {both['dorange_num']:.10g}, dTax {both['dtax']:.10g}")
    row_target = argparse.Namespace(out_dir=str(out_dir), quick=quick)
    record_result("ch5 shopping graphs (apple, orange)", ours, BOOK_SHOPPING, "no data",
                  row_target, seconds=time.perf_counter() - started)


def run_one(name: str, flags: list[str], args: argparse.Namespace) -> None:
    module = importlib.import_module(name)
    if name == "ch5_computational_graph":
        run_computational_graph(module, Path(args.out_dir), args.quick)
        return
    argv = [*flags, "--out-dir", args.out_dir]
    if name not in WITHOUT_IMAGES:
        argv += ["--dataset", args.dataset] + (["--data-dir", args.data_dir] if args.data_dir else [])
    if args.quick:
        argv.append("--quick")
    module.main(argv)


SPLITS = re.compile(r"(?P<name>[\w\- ]+?) train \((?P<train>[^)]*)\)(?P<where>[^;]*); (?P=name) test "
                    r"\((?P<test>[^)]*)\)(?P<where_test>.*)")


def compact_source(dataset: str) -> str:
    """'X train (6 images) from D; X test (1 images) from D' -> 'X: train 6 images, test 1 images from D'."""
    found = SPLITS.search(dataset)
    if found is None or found["where"] != found["where_test"]:
        return dataset
    short = f"{found['name']}: train {found['train']}, test {found['test']}{found['where']}"
    return dataset[:found.start()] + short


def cell(text: str) -> str:
    return text.replace("|", "\\|")  # a literal | inside a markdown table cell


def write_table(out_dir: Path, seconds: float, failures: list[str]) -> Path:
    """docs/results/README.md from results.json: one row per experiment, then the figures."""
    rows = json.loads((out_dir / RESULTS_FILE).read_text()) if (out_dir / RESULTS_FILE).exists() else {}
    lines = ["# Results: our runs next to the book's", "",
             f"Written by `make book` (examples/run_book.py) on {time.strftime('%Y-%m-%d')}, "
             f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, {seconds / 60:.1f} minutes in all. "
             "\"Book\" is the result recorded in the book's notebooks (MNIST, one unseeded run) or the value its "
             "formulas give; ours come from the seeded examples in `examples/`, on the data set named in each row. "
             "Commands and explanations: [chapter 4](../chapter4.md), [chapter 5](../chapter5.md), "
             "[chapter 6](../chapter6.md).", "",
             "| experiment | our result | the book's result | data set | seconds |", "|---|---|---|---|---:|"]
    for row in rows.values():  # in the order the runs recorded them: the book's order
        cells = [row["experiment"], row["ours"], row["book"], compact_source(row["dataset"])]
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
    parser.add_argument("--dataset", default="auto", choices=("auto", "fashion-mnist", "mnist", "embedded"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT_DIR))
    parser.add_argument("--quick", action="store_true", help="every example in quick mode: a smoke test")
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
        print(f"\ntable: {write_table(out_dir, seconds, failures)}")
    print(f"{len(failures)} failed: {failures}" if failures else f"all runs finished in {seconds / 60:.1f} minutes")
    return 1 if failures else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
