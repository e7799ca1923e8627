"""The plumbing every example shares (examples/common/): the one training loop, the one net builder.

The loop is checked against a hand-written PyTorch-style loop on the same batches (the same
weights must come out, bit for bit), its evaluation schedule against the book's Trainer, its
overflow handling both ways, and its progress bar with and without tqdm.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common import nets, training  # noqa: E402
from common.training import Learner, Schedule, train  # noqa: E402


def _data(n: int = 40, features: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)


def test_schedule_evaluates_like_the_books_trainer_or_after_each_epoch():
    def evaluated(schedule: Schedule) -> list[int]:
        return [step for step in range(1, schedule.steps + 1) if schedule.evaluates_after(step)]

    book = Schedule.epochs(3, per_epoch=5, convention="book")
    assert (book.steps, evaluated(book)) == (11, [1, 6, 11])
    pytorch = Schedule.epochs(3, per_epoch=5, convention="pytorch")
    assert (pytorch.steps, evaluated(pytorch)) == (15, [5, 10, 15])
    assert evaluated(Schedule(12, 5)) == [5, 10, 12]  # the end of the run is always measured
    with pytest.raises(ValueError, match="positive"):
        Schedule(0, 5)


def test_train_matches_a_hand_written_loop_and_shares_batches_between_learners():
    x, t = _data()
    batches = [np.arange(i, i + 8) % len(x) for i in range(0, 48, 8)]

    def net():
        tg.manual_seed(1)
        return nets.mlp([6, 5, 4], init="he")

    by_hand, model = net(), net()
    sgd = optim.SGD(by_hand.parameters(), lr=0.1)
    for index in batches:
        sgd.zero_grad()
        nn.CrossEntropyLoss()(by_hand(tg.tensor(x[index])), tg.tensor(t[index])).backward()
        sgd.step()
    other = net()
    learners = [Learner(model, optim.SGD(model.parameters(), lr=0.1), "sgd"),
                Learner(other, optim.Adam(other.parameters(), lr=0.01), "adam")]
    train(learners, training.indexed_batches(x, t, batches), Schedule(len(batches), 3), {"train": (x, t)},
          log_every=0, progress=False)
    for mine, theirs in zip(model.parameters(), by_hand.parameters()):
        np.testing.assert_array_equal(mine.data, theirs.data)
    for learner in learners:
        history = learner.history
        assert len(history.loss) == 6 and history.steps == [3, 6] and len(history.epoch_seconds) == 2
        assert all(0.0 <= a <= 1.0 for a in history.accuracy["train"])
    assert learners[0].history.loss[0] == learners[1].history.loss[0]  # same start, same first batch


def test_scheduler_steps_once_per_epoch_and_the_book_penalty_enters_the_loss():
    x, t = _data()
    tg.manual_seed(0)
    model = nets.mlp([6, 4], init=0.5)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    learner = Learner(model, optimizer, scheduler=scheduler, weight_decay=0.1)
    penalty = float(nets.weight_penalty(model, 0.1).item())
    plain = float(nn.CrossEntropyLoss()(model(tg.tensor(x[:10])), tg.tensor(t[:10])).item())
    train([learner], training.indexed_batches(x, t, [np.arange(10)] * 6), Schedule(6, 2), log_every=0,
          progress=False)
    assert learner.history.loss[0] == pytest.approx(plain + penalty, rel=1e-6)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1.0 * 0.5 ** 3)


def test_overflow_stops_one_learner_or_raises_naming_it(capsys):
    x, t = _data()
    x = x * 1e3
    tg.manual_seed(0)

    def learners():
        calm, wild = nets.mlp([6, 50, 50, 4], init=1.0), nets.mlp([6, 50, 50, 4], init=1.0)
        return [Learner(calm, optim.SGD(calm.parameters(), lr=1e-12), "calm"),
                Learner(wild, optim.SGD(wild.parameters(), lr=1e30), "wild")]

    stopped = learners()
    train(stopped, training.minibatches(x, t, 8, "book"), Schedule(6, 2), {"train": (x, t)}, overflow="stop")
    wild = stopped[1].history
    assert wild.overflow_at is not None and wild.accuracy["train"][-1] is None
    assert len(stopped[0].history.loss) == 6 and None not in stopped[0].history.accuracy["train"]
    assert "wild:  overflow at step" in capsys.readouterr().out
    with pytest.raises(FloatingPointError, match="wild: the loss or a weight stopped being finite at step"):
        train(learners(), training.minibatches(x, t, 8, "book"), Schedule(6, 2), progress=False)


def test_progress_bar_is_tqdm_when_installed_and_text_otherwise(monkeypatch):
    terminal = io.StringIO()
    terminal.isatty = lambda: True
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: as if tqdm were not installed
    bar = training.progress_bar(4, "epoch 1")
    assert isinstance(bar, training.ProgressBar)
    bar.set_postfix({"loss": 0.25}, refresh=False)
    bar.update(4)
    bar.close()
    assert "epoch 1 [" in terminal.getvalue() and "4/4 loss 0.2500" in terminal.getvalue()
    assert not training.progress_bar(4, "off", enabled=False).enabled
    monkeypatch.delitem(sys.modules, "tqdm.auto")
    tqdm = pytest.importorskip("tqdm.auto")
    bar = training.progress_bar(4, "epoch 1")
    assert isinstance(bar, tqdm.tqdm)
    bar.close()


def test_no_progress_bar_in_logs():
    assert not sys.stdout.isatty()  # pytest captures stdout
    assert not training.progress_bar(4, "epoch 1").enabled


def test_mlp_builds_the_books_layers_and_weight_scales():
    tg.manual_seed(0)
    net = nets.mlp([784, 100, 100, 10], init="he", batch_norm=True, dropout=0.2, convention="book")
    kinds = [type(layer).__name__ for layer in net]
    assert kinds == ["Linear", "BookBatchNorm1d", "ReLU", "BookDropout"] * 2 + ["Linear"]
    assert net[0].weight.data.std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)
    assert net[4].weight.data.std() == pytest.approx(np.sqrt(2 / 100), rel=0.05)
    assert not net[0].bias.data.any()
    torch_form = nets.mlp([784, 30, 10], "sigmoid", init="xavier", batch_norm=True, dropout=0.5)
    assert [type(layer).__name__ for layer in torch_form] == ["Linear", "BatchNorm1d", "Sigmoid", "Dropout",
                                                              "Linear"]
    default = nets.mlp([784, 10], init=None)
    assert default[0].bias.data.any()  # nn.Linear's own initialisation kept
    assert nets.mlp([4, 3], dtype=np.float64)[0].weight.dtype == np.float64
    with pytest.raises(ValueError, match="activation"):
        nets.mlp([4, 3], "gelu")
    with pytest.raises(ValueError, match="convention"):
        nets.mlp([4, 3], convention="keras")
    with pytest.raises(ValueError, match="unknown init"):
        nets.mlp([4, 3], init="glorot")
