"""Chapter 5.1-5.4: the shopping examples as computational graphs, forward values and gradients on the arrows.

The book multiplies and adds with hand-written MulLayer/AddLayer objects and draws the graphs by
hand: buy_apple (apple 100 x 2, times tax 1.1 -> price 220; backward dApple 2.2, dApple_num 110,
dTax 200) and buy_apple_orange (plus orange 150 x 3 -> price 715; dApple 2.2, dApple_num 110,
dOrange 3.3, dOrange_num 165, dTax 650). Here the same numbers come from named float64 tensors
and one `price.backward()`; tinygrad_edu.viz draws the graph the autograd engine recorded, in
the book's style (ops as circles, the value above each arrow, its gradient below in red), and
trace_backward prints the order in which backward visited the nodes. float64 makes every number
the same double the book's layers compute (220.00000000000003 included).

    python examples/ch05/computational_graph.py [--quick] [--figures-dir docs/figures]

Writes ch5_buy_apple.{dot,svg} and ch5_buy_apple_orange.{dot,svg} (SVG only when Graphviz's
`dot` is installed and not --quick) into --figures-dir: docs/figures, where docs/tour.md shows
them, unless --out-dir sends the results elsewhere (then there too). See docs/tour.md.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
from common.experiment import DEFAULT_OUT_DIR, ROOT, parse_args, record_result  # noqa: E402
from tinygrad_edu import viz  # noqa: E402

BOOK = {"buy_apple": {"price": 220, "dapple": 2.2, "dapple_num": 110, "dtax": 200},
        "buy_apple_orange": {"price": 715, "dorange": 3.3, "dorange_num": 165, "dtax": 650}}


def scalar(value: float, name: str) -> tg.Tensor:
    return tg.tensor(value, dtype=np.float64, requires_grad=True, name=name)


def named(t: tg.Tensor, name: str) -> tg.Tensor:
    """Name an intermediate tensor and keep its gradient, as the book's figures show both."""
    t.name = name
    t.retain_grad()
    return t


def buy_apple() -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    apple, apple_num, tax = scalar(100.0, "apple"), scalar(2.0, "apple_num"), scalar(1.1, "tax")
    apple_price = named(apple * apple_num, "apple_price")
    price = named(apple_price * tax, "price")
    return price, {"apple": apple, "apple_num": apple_num, "tax": tax, "apple_price": apple_price}


def buy_apple_orange() -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    apple, apple_num = scalar(100.0, "apple"), scalar(2.0, "apple_num")
    orange, orange_num = scalar(150.0, "orange"), scalar(3.0, "orange_num")
    tax = scalar(1.1, "tax")
    apple_price = named(apple * apple_num, "apple_price")
    orange_price = named(orange * orange_num, "orange_price")
    all_price = named(apple_price + orange_price, "all_price")
    price = named(all_price * tax, "price")
    return price, {"apple": apple, "apple_num": apple_num, "orange": orange, "orange_num": orange_num, "tax": tax,
                   "apple_price": apple_price, "orange_price": orange_price, "all_price": all_price}


def run_graph(title: str, build, out_dir: Path, render: bool) -> dict[str, float]:
    price, tensors = build()
    with tg.trace_backward() as trace:
        price.backward(retain_graph=True)  # keep the graph: it is drawn after backward
    results = {"price": price.item()}
    results.update({f"d{name}": t.grad.item() for name, t in tensors.items()})
    print(f"{title}: price = {price.item()!r}")
    for name, t in tensors.items():
        print(f"  {name:12s} value {t.item()!r:22s} d price / d {name} = {t.grad.item()!r}")
    print(trace)
    graph = viz.to_dot(price, show_values=True, show_grads=True, values_on_edges=True)
    graph.save(out_dir / f"{title}.dot")
    if render:
        try:
            print(f"wrote {graph.render(out_dir / f'{title}.svg')}")
        except viz.GraphvizNotFoundError as error:
            print(f"no picture: {error}")
    return results


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Both shopping graphs: {"buy_apple": {"price": ..., "dapple": ...}, "buy_apple_orange": {...}}."""
    args = parse_args(__doc__, argv, lambda parser: parser.add_argument(
        "--figures-dir", default=None, help="where the .dot and .svg files go (default: docs/figures)"),
                      images=False, conventions=False)
    if args.figures_dir is not None:
        out = Path(args.figures_dir)
    else:  # docs/ shows the drawings from docs/figures; a run writing its results elsewhere keeps them there
        out = ROOT / "docs" / "figures" if Path(args.out_dir).resolve() == DEFAULT_OUT_DIR else Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = {"buy_apple": run_graph("ch5_buy_apple", buy_apple, out, render=not args.quick),
               "buy_apple_orange": run_graph("ch5_buy_apple_orange", buy_apple_orange, out, render=not args.quick)}

    def numbers(run: dict[str, float], names) -> str:
        return ", ".join(f"{_label(name)} {run[name]:.10g}" for name in names)

    ours = "; with oranges: ".join(numbers(results[key], BOOK[key]) for key in BOOK)
    book = "; with oranges: ".join(numbers(BOOK[key], BOOK[key]) for key in BOOK)
    record_result("ch5 shopping graphs (apple, orange)", ours, book, "no data", args)
    return results


def _label(name: str) -> str:
    """'dapple_num' -> 'dApple_num', as the book prints its gradients."""
    return name if not name.startswith("d") else "d" + name[1].upper() + name[2:]


if __name__ == "__main__":
    main()
