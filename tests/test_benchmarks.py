"""The benchmark's hand-written baseline computes what tinygrad_edu computes (no timing here)."""
import pytest

import tinygrad_edu as tg

from benchmarks.run import check_agreement
from benchmarks.timing import paired_ratio, quartiles
from benchmarks.workloads import WORKLOADS


@pytest.mark.parametrize("key", ["W1", "W2", "W3", "W5"])
def test_reference_and_tinygrad_agree_on_first_two_losses(key):
    losses = check_agreement(key, ["numpy", "tinygrad_edu"])
    assert losses["numpy"] == pytest.approx(losses["tinygrad_edu"], rel=1e-5)


def test_floor_and_tiny_variants_run():
    w = WORKLOADS["W2"]
    w.floor_step()()
    tiny = w.tiny()
    assert tiny.sizes == (1,) * len(w.sizes) and tiny.batch == 2
    x, t = tiny.batches(count=1)[0]
    assert tiny.build("numpy")(x, t) == pytest.approx(0.0, abs=1e-6)  # one class: nothing to lose


def test_paired_ratio_pairs_rounds_not_medians():
    per_round = {"a": [1.0, 4.0, 2.0], "b": [2.0, 2.0, 1.0]}
    assert paired_ratio(per_round, "a", "b") == (1.25, 2.0, 2.0)
    assert quartiles([3.0]) == (3.0, 3.0, 3.0)


def test_convnet_floor_and_tiny_variants_run():
    w = WORKLOADS["W5"]
    w.floor_step()()
    tiny = w.tiny()
    x, t = tiny.batches(count=1)[0]
    assert x.shape == (2, 1, 6, 6)
    assert tiny.build("numpy")(x, t) == pytest.approx(tiny.build("tinygrad_edu")(tg.tensor(x), tg.tensor(t)), rel=1e-5)


def test_before_after_compares_an_extracted_copy_with_this_tree(capsys, monkeypatch):
    from pathlib import Path

    from benchmarks import before_after

    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        pytest.skip("needs the git checkout (git archive)")
    monkeypatch.chdir(root)
    before_after.main(["--before", "HEAD", "--workloads", "W1,W5", "--rounds", "2", "--block", "0.01",
                       "--settle", "0"])
    printed = capsys.readouterr().out
    for key in ("W1", "W5"):
        row = next(line for line in printed.splitlines() if line.startswith(f"| {key} "))
        ratio = float(row.split("**")[1].rstrip("x"))
        assert 0.2 < ratio < 5  # the same code on both sides: a real ratio, no timing claim
    assert "command: " in printed and "benchmarks.before_after" in printed
    with pytest.raises(SystemExit, match="no workload 'W9'"):
        before_after.main(["--before", "HEAD", "--workloads", "W9"])
    with pytest.raises(SystemExit, match="git archive no-such-commit failed"):
        before_after.main(["--before", "no-such-commit", "--workloads", "W1"])


def test_profile_step_shares_cover_the_whole_step():
    from benchmarks.profile_step import shares

    result = shares("W1", steps=20)
    assert sum(result.values()) == pytest.approx(1.0)
    assert result["backward engine bookkeeping (autograd/engine.py)"] > 0
    assert result["Function.apply and recording a node (autograd/function.py)"] > 0


def test_paired_blocks_settles_only_where_the_runtime_changes(monkeypatch):
    from benchmarks import timing

    # Count steps instead of timing them: a block is 1 step, a settle period 5, a warm-up 2.
    monkeypatch.setattr(timing, "steps_lasting", lambda fn, seconds: {0.5: 1, 0.3: 5}.get(seconds, 2))
    calls: list[str] = []
    steps = {name: (lambda name=name: calls.append(name)) for name in ("np_a", "np_b", "torch")}
    per_round = timing.paired_blocks(steps, rounds=2, block_seconds=0.5, settle_seconds=0.3,
                                     runtimes={"torch": "torch"})
    assert {name: len(times) for name, times in per_round.items()} == {"np_a": 2, "np_b": 2, "torch": 2}
    # Round 1: NumPy's pair back to back, then PyTorch after a settle period. Round 2 starts with
    # PyTorch again (a warm-up only: still its runtime), then NumPy's pair in the other order.
    expected = [("np_a", 5 + 1), ("np_b", 2 + 1), ("torch", 5 + 1), ("torch", 2 + 1), ("np_b", 5 + 1),
                ("np_a", 2 + 1)]
    assert calls == [name for name, count in expected for _ in range(count)]


def test_phases_time_every_phase_of_both_steps():
    from benchmarks.phases import PHASES, phase_times
    from benchmarks.workloads import WORKLOADS

    times = phase_times(WORKLOADS["W1"].tiny(), steps=20)
    assert list(times) == list(PHASES)
    assert all(ours > 0 for ours, _ in times.values())
    assert times["zero_grad"][1] == 0.0  # the hand-written step writes its gradients with out=
    assert all(hand > 0 for phase, (_, hand) in times.items() if phase != "zero_grad")
