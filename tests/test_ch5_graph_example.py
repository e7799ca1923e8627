"""examples/ch05/computational_graph.py reproduces the book's ch5 shopping numbers exactly and draws both graphs."""
import importlib
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

example = importlib.import_module("ch05.computational_graph")


def test_buy_apple_and_buy_apple_orange_numbers(tmp_path):
    results = example.main(["--quick", "--figures-dir", str(tmp_path)])
    apple = results["buy_apple"]
    # The same doubles the book's MulLayer/AddLayer compute (its float64 arithmetic, in its order).
    assert apple["price"] == 100.0 * 2.0 * 1.1 == pytest.approx(220, rel=1e-15)
    assert (apple["dapple"], apple["dapple_num"], apple["dtax"]) == (1.1 * 2.0, 1.1 * 100.0, 1.0 * 200.0)
    assert (apple["dapple"], apple["dapple_num"], apple["dtax"]) == pytest.approx((2.2, 110, 200), rel=1e-15)
    assert apple["dapple_price"] == 1.1
    both = results["buy_apple_orange"]
    assert both["price"] == (100.0 * 2.0 + 150.0 * 3.0) * 1.1 == pytest.approx(715, rel=1e-15)
    assert (both["dapple"], both["dapple_num"], both["dorange"], both["dorange_num"], both["dtax"]) == (
        1.1 * 2.0, 1.1 * 100.0, 1.1 * 3.0, 1.1 * 150.0, 650.0)
    assert (both["dapple"], both["dapple_num"], both["dorange"], both["dorange_num"], both["dtax"]) == pytest.approx(
        (2.2, 110, 3.3, 165, 650), rel=1e-15)
    assert both["dall_price"] == both["dapple_price"] == both["dorange_price"] == 1.1


def test_graphs_carry_values_and_gradients_on_their_arrows(tmp_path):
    example.main(["--quick", "--figures-dir", str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ch5_buy_apple.dot", "ch5_buy_apple_orange.dot"]
    text = (tmp_path / "ch5_buy_apple_orange.dot").read_text()
    red = '<FONT COLOR="#c00000">'
    for value, grad in [("100", "2.2"), ("2", "110"), ("150", "3.3"), ("3", "165"), ("1.1", "650"), ("200", "1.1"),
                        ("450", "1.1"), ("650", "1.1"), ("715", "1")]:
        assert f"label=<{value}<BR/>{red}{grad}</FONT>>" in text
    assert text.count("->") == 9 and text.count("shape=circle") == 4


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_full_run_renders_svg(tmp_path):
    example.main(quick=False, out_dir=tmp_path)
    for name in ("ch5_buy_apple", "ch5_buy_apple_orange"):
        svg = (tmp_path / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "apple_num" in svg
