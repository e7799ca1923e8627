"""Every example in examples/ runs in its --quick mode and reproduces its key numbers.

Deterministic results (chapter 4's numerical derivatives and gradient descent) are compared
exactly with the book's values; trained ones loosely (better than chance, gradients that agree).
Also the shared plumbing of examples/common/: flags, images, results.json merging, figures,
accuracy, the one training loop and its progress bar.
"""
import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

from common import experiment, figures, training  # noqa: E402


def run(name: str, *flags: str, out_dir: Path) -> dict:
    """Import examples/<name> ("ch04.simplenet") and call its main() in quick mode, writing into out_dir."""
    module = importlib.import_module(name)
    return module.main(["--quick", "--out-dir", str(out_dir), *flags])


def test_numerical_differentiation_gives_the_books_digits(tmp_path):
    results = run("ch04.numerical_differentiation", out_dir=tmp_path)
    assert results[5.0]["numerical"] == pytest.approx(0.1999999999990898, abs=1e-12)
    assert results[10.0]["numerical"] == pytest.approx(0.2999999999986347, abs=1e-12)
    # autograd is exact where the central difference carries ~1e-12 of rounding error
    assert results[5.0]["autograd"] == pytest.approx(0.2, abs=1e-15)
    assert results[10.0]["autograd"] == pytest.approx(0.3, abs=1e-15)
    assert not (tmp_path / "results.json").exists(), "a --quick run must not write results"


def test_gradient_field_values_and_arrow_directions(tmp_path):
    results = run("ch04.gradient_field", out_dir=tmp_path)
    for point, expected in {(3.0, 4.0): (6, 8), (0.0, 2.0): (0, 4), (3.0, 0.0): (6, 0)}.items():
        np.testing.assert_allclose(results[point]["numerical"], expected, atol=1e-10)
        np.testing.assert_array_equal(results[point]["autograd"], expected)
    assert results["arrows_point_to_origin"] is True


def test_gradient_descent_reproduces_the_books_four_runs(tmp_path):
    results = run("ch04.gradient_descent", out_dir=tmp_path)
    start = np.array([-3.0, 4.0])
    # lr 0.1: each exact step multiplies x by 0.8; central differences are exact for a quadratic
    for name, steps in (("lr 0.1, 20 steps", 20), ("lr 0.1, 100 steps", 100)):
        np.testing.assert_allclose(results[name]["numerical"], start * 0.8 ** steps, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(results[name]["autograd"], start * 0.8 ** steps, rtol=1e-12, atol=0)
    np.testing.assert_allclose(results["lr 0.1, 20 steps"]["numerical"], (-0.0346, 0.0461), atol=5e-5)
    np.testing.assert_allclose(results["lr 0.1, 100 steps"]["numerical"], (-6.11e-10, 8.15e-10), rtol=1e-3)
    # lr 10 stalls at the book's value: the finite difference loses every digit there
    np.testing.assert_allclose(results["lr 10, 100 steps"]["numerical"], (-2.59e13, -1.30e12), rtol=5e-3)
    np.testing.assert_allclose(results["lr 10, 100 steps"]["autograd"], start * (-19.0) ** 100, rtol=1e-12)
    np.testing.assert_allclose(results["lr 1e-10, 100 steps"]["numerical"], (-2.99999994, 3.99999992), atol=5e-9)
    np.testing.assert_allclose(results["lr 1e-10, 100 steps"]["autograd"], start * (1 - 2e-10) ** 100, rtol=1e-12)


def test_simplenet_gradient_properties(tmp_path):
    results = run("ch04.simplenet", out_dir=tmp_path)
    np.testing.assert_allclose(results["autograd"], results["closed_form"], atol=1e-15)
    np.testing.assert_allclose(results["numerical"], results["closed_form"], atol=1e-8)
    np.testing.assert_allclose(results["row_sums"], 0.0, atol=1e-15)
    np.testing.assert_allclose(results["row_ratio"], 1.5, rtol=1e-12)


def test_forward_vs_reverse_jacobians_agree_and_both_sweeps_run(tmp_path):
    results = run("forward_vs_reverse", out_dir=tmp_path)
    for vary in ("n", "m"):
        assert [row[vary] for row in results[vary]] == [1, 4]
        for row in results[vary]:
            assert row["max_difference"] < 1e-12
            assert set(row["seconds"]) == {"forward-mode", "reverse-mode"}
    assert (tmp_path / "jacobian_forward_vs_reverse.png").exists()


def test_parse_args_defaults_and_flags():
    args = experiment.parse_args("An example.\n\nMore text.", [])
    assert (args.quick, args.convention, args.dataset, args.data_dir, args.seed) == (False, "pytorch", "auto", None, 0)
    assert Path(args.out_dir) == experiment.DEFAULT_OUT_DIR
    args = experiment.parse_args(None, ["--quick", "--convention", "book", "--dataset", "mnist", "--seed", "3"])
    assert (args.quick, args.convention, args.dataset, args.seed) == (True, "book", "mnist", 3)
    with pytest.raises(SystemExit):
        experiment.parse_args(None, ["--convention", "keras"])
    with pytest.raises(SystemExit):  # an example without images has no --dataset flag
        experiment.parse_args(None, ["--dataset", "mnist"], images=False)


def test_record_result_merges_rows_by_experiment(tmp_path):
    args = experiment.parse_args(None, ["--out-dir", str(tmp_path)])
    experiment.record_result("a", "1", "2", "data", args, seconds=1.25)
    experiment.record_result("b", "3", "4", "data", tmp_path, seconds=2.0)
    experiment.record_result("a", "5", "2", "data", args, seconds=3.0)
    rows = json.loads((tmp_path / "results.json").read_text())
    assert sorted(rows) == ["a", "b"]
    assert rows["a"] == {"experiment": "a", "ours": "5", "book": "2", "dataset": "data", "seconds": 3.0}


def test_save_figure_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")

    def draw():
        import matplotlib.pyplot as plt
        figure, axes = plt.subplots()
        axes.plot([0, 1], [1, 0])
        return figure

    path = figures.save_figure(draw, "line", tmp_path)
    assert path == tmp_path / "line.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_accuracy_counts_argmax_matches_and_restores_mode():
    class Scores:
        training = True

        def eval(self):
            self.training = False

        def train(self, mode=True):
            self.training = mode

        def __call__(self, x):
            assert not self.training
            return x

    model = Scores()
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert training.evaluate_accuracy(model, scores, np.array([0, 1, 1, 1]), batch_size=3) == 0.75
    assert training.evaluate_accuracy(model, scores, np.eye(2)[[0, 1, 0, 0]]) == 0.75  # one-hot labels
    assert model.training
    with pytest.raises(ValueError, match="4 inputs but 3 labels"):
        training.evaluate_accuracy(model, scores, np.array([0, 1, 1]))


@pytest.mark.parametrize("convention", ["pytorch", "book"])
def test_chapter4_two_layer_net_learns_and_backprop_matches_numerical(tmp_path, convention):
    results = run("ch04.two_layer_net", "--convention", convention, out_dir=tmp_path)
    assert results["images"].dataset == "embedded", "quick mode uses the embedded images on every machine"
    assert set(results["gradient_check"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert max(results["gradient_check"].values()) < 1e-8  # float64, smooth sigmoid: rounding only
    history = results["history"]
    assert history.steps == [100, 200] and len(history.loss) == 200
    assert history.accuracy["test"][-1] > 0.35  # 10 classes: chance is 0.1
    assert history.accuracy["test"][-1] > history.accuracy["test"][0]


def test_chapter5_relu_net_gradient_check_and_training(tmp_path):
    results = run("ch05.two_layer_net", out_dir=tmp_path)
    assert max(results["gradient_check"].values()) < 1e-6
    assert results["check_module"].passed
    assert [row.name for row in results["check_module"].rows] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert results["history"].accuracy["test"][-1] > 0.5


def test_demo_trains_saves_a_checkpoint_that_reloads(tmp_path):
    import tinygrad_edu as tg

    demo = importlib.import_module("demo")
    checkpoint = tmp_path / "model.npz"
    results = demo.main(["--quick", "--out-dir", str(tmp_path), "--checkpoint", str(checkpoint)])
    assert results["history"].accuracy["test"][-1] > 0.3
    assert len(results["history"].loss) == 8  # 1000 images in batches of 128, one epoch
    model = demo.chapter6_net()
    model.load_state_dict(tg.load(checkpoint))
    x_test, t_test = experiment.load_images(experiment.parse_args(None, ["--quick"])).test
    assert training.evaluate_accuracy(model, x_test[:200], t_test[:200]) > 0.3  # the trained weights, not a fresh init


def test_fashion_mlp_quick_run_learns(tmp_path):
    results = run("fashion_mlp", out_dir=tmp_path)
    assert results["test_accuracy"] > 0.3


def test_run_book_lists_every_example_and_writes_the_table(tmp_path):
    run_book = importlib.import_module("run_book")
    listed = {name for name, _ in run_book.RUNS}
    experiments = [*EXAMPLES.glob("*.py"), *EXAMPLES.glob("ch0*/*.py")]
    on_disk = {".".join(path.relative_to(EXAMPLES).with_suffix("").parts) for path in experiments} - {"run_book"}
    assert listed == on_disk, "every example file must be in run_book.RUNS (an explicit list)"
    (tmp_path / "results.json").write_text(json.dumps({
        "ch5 b": {"experiment": "ch5 b", "ours": "0.9 | 0.8", "book": "0.97", "dataset": "embedded", "seconds": 2.0},
        "ch4 a": {"experiment": "ch4 a", "ours": "0.2", "book": "0.2", "dataset": "no data", "seconds": 0.04}}))
    (tmp_path / "ch4_a.png").write_bytes(b"")
    table = run_book.write_table(tmp_path, 90.0, failures=["ch6_x"]).read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ch")]
    assert rows == ["| ch5 b | 0.9 \\| 0.8 | 0.97 | embedded | 2.0 |", "| ch4 a | 0.2 | 0.2 | no data | 0.0 |"]
    assert "Failed in this run (no row above): ch6_x" in table
    assert "- [ch4_a](ch4_a.png)" in table
    with pytest.raises(SystemExit):
        run_book.main(["--only", "no_such_example"])


def test_compare_torch_trains_both_frameworks_from_the_same_start(tmp_path):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    try:
        results = run("compare_torch", "--only", "two-layer", "--only", "ch6", out_dir=tmp_path)
    finally:
        torch.set_num_threads(threads)
    for key in ("two-layer", "ch6"):
        run_ = results[key]["runs"][0]
        assert run_["steps"] == 30
        # same weights, same 30 batches, float32 both: the models can differ only by rounding
        assert abs(run_["ours"] - run_["torch"]) <= 0.01
    assert results["ch6"]["ours"] > 0.3


def test_quick_mode_reads_the_directory_the_user_names(tmp_path):
    """--quick alone means the embedded subset; --quick --data-dir DIR must read DIR's IDX files."""
    from tinygrad_edu.data.idx import write_idx

    rng = np.random.default_rng(0)
    for prefix, count in (("train", 30), ("t10k", 10)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, count, dtype=np.uint8))
    args = experiment.parse_args("test", ["--quick", "--dataset", "auto", "--data-dir", str(tmp_path)])
    images = experiment.load_images(args)
    (x_train, _), (x_test, _) = images.train, images.test
    assert (x_train.shape, x_test.shape) == ((30, 784), (10, 784))
    assert str(tmp_path) in images.description
    assert images.label == "Fashion-MNIST: train 30 images, test 10 images"
