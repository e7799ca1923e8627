"""The one training loop of the examples, and what feeds and measures it.

Every experiment trains with `train(learners, batches, schedule, evaluations)`: the PyTorch loop

    optimizer.zero_grad(); loss = loss_fn(model(x), t); loss.backward(); optimizer.step()

for one model, or for several models on the same minibatches when an experiment compares them
(the book's optimizer, weight-init and BatchNorm comparisons). A `Learner` is a model with its
optimizer (and an optional scheduler and the book's L2 penalty); its `History` fills up as it
trains: every minibatch loss, accuracy at each evaluation, seconds per epoch, the step where it
overflowed. `Schedule` says how many steps, how long an epoch is and when accuracy is measured.
`minibatches` is the book's sampling (with replacement) or a shuffled DataLoader;
`evaluate_accuracy` is the book's network.accuracy; `gradient_check` is its gradient_check.py.
A progress bar shows the loss within each epoch: tqdm's (terminals and notebooks) when tqdm is
installed (pip install 'tinygrad_edu[progress]'), else a one-line text bar on a terminal.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.functional as F

from .nets import check_convention, weight_penalty

OVERFLOW_RULES = ("raise", "stop")


@dataclass
class History:
    """What one model's training produced."""

    loss: list[float] = field(default_factory=list)  # every step's minibatch loss, before its update
    steps: list[int] = field(default_factory=list)  # the steps after which accuracy was measured
    accuracy: dict[str, list[float | None]] = field(default_factory=dict)  # per evaluation set; None once overflowed
    epoch_seconds: list[float] = field(default_factory=list)  # training time between evaluations
    overflow_at: int | None = None  # the step whose loss or weights stopped being finite


@dataclass
class Learner:
    """A model in training: its optimizer, an optional scheduler (stepped once per epoch), the
    book's L2 penalty 0.5 * weight_decay * sum ||W||^2 added to the loss (nets.weight_penalty),
    and the History its training writes."""

    model: Any
    optimizer: Any
    name: str = "model"
    scheduler: Any = None
    weight_decay: float = 0.0
    history: History = field(default_factory=History)


@dataclass(frozen=True)
class Schedule:
    """`steps` updates in epochs of `epoch` steps. Accuracy is measured after step `first`
    (default: the end of the first epoch), then every epoch, and after the last step; a
    learning-rate scheduler steps at the end of every epoch. The book's Trainer measures right
    after its first update: Schedule(steps, epoch, first=1)."""

    steps: int
    epoch: int
    first: int | None = None

    def __post_init__(self) -> None:
        if self.steps < 1 or self.epoch < 1 or (self.first is not None and self.first < 1):
            raise ValueError(f"Schedule needs positive steps, epoch and first, got {self}")

    @classmethod
    def epochs(cls, epochs: int, per_epoch: int, convention: str) -> Schedule:
        """`epochs` accuracy points, one per epoch of per_epoch steps. "book": as the book's
        Trainer, the first right after the first update (so 1 + (epochs - 1) * per_epoch steps);
        "pytorch": after each of `epochs` full epochs."""
        first = 1 if check_convention(convention) == "book" else per_epoch
        return cls(first + (epochs - 1) * per_epoch, per_epoch, first)

    def evaluates_after(self, step: int) -> bool:
        first = self.epoch if self.first is None else self.first
        return step == self.steps or (step >= first and (step - first) % self.epoch == 0)


def minibatches(x: np.ndarray, t: np.ndarray, batch_size: int, convention: str,
                dtype: np.dtype | None = None) -> Iterator[tuple[tg.Tensor, tg.Tensor]]:
    """An endless stream of (images, labels) minibatches, images cast to dtype when given.

    "book": every batch is batch_size indices drawn *with replacement* (the book's
    np.random.choice), so an "epoch" is just N / batch_size steps. "pytorch": passes of a shuffled
    DataLoader, each image once per pass. Both draw from tinygrad_edu's generator, so manual_seed
    makes the stream reproducible.
    """
    from tinygrad_edu.data import DataLoader, TensorDataset
    from tinygrad_edu.random import generator

    if check_convention(convention) == "book":
        while True:
            index = generator().integers(0, len(x), size=batch_size)
            yield tg.tensor(x[index], dtype=dtype), tg.tensor(t[index])
    loader = DataLoader(TensorDataset(x, t), batch_size=batch_size, shuffle=True)
    while True:
        for images, labels in loader:
            yield (images if dtype is None or images.dtype == dtype else images.to(dtype)), labels


def indexed_batches(x: np.ndarray, t: np.ndarray, indices: list[np.ndarray]) -> Iterator[tuple[tg.Tensor, tg.Tensor]]:
    """The minibatches x[i], t[i] for each index array, in order (a schedule fixed in advance)."""
    for index in indices:
        yield tg.tensor(x[index]), tg.tensor(t[index])


def train(learners: list[Learner], batches: Iterator[tuple[tg.Tensor, tg.Tensor]], schedule: Schedule,
          evaluations: dict[str, tuple[np.ndarray, np.ndarray]] | None = None, *,
          loss_fn: Callable[[tg.Tensor, tg.Tensor], tg.Tensor] = F.cross_entropy, overflow: str = "raise",
          log_every: int = 1, progress: bool = True) -> None:
    """Train every learner on the same minibatches for schedule.steps steps; fill their histories.

    At each evaluation (Schedule.evaluates_after) the accuracy on every set of `evaluations` is
    measured and, every `log_every`-th time (0: never), one line is printed: epoch, step, mean
    loss since the last line, accuracies, seconds of training. A loss or weight that stops being
    finite is never passed on as a number: overflow="raise" raises FloatingPointError naming the
    learner and the step; "stop" stops that learner (History.overflow_at) and the others go on.
    """
    if overflow not in OVERFLOW_RULES:
        raise ValueError(f"overflow must be one of {OVERFLOW_RULES}, got {overflow!r}")
    evaluations = evaluations or {}
    for learner in learners:
        learner.history.accuracy.update({name: [] for name in evaluations})
        learner.model.train()
    bar = progress_bar(schedule.epoch, "epoch 1", progress)
    seconds = [0.0] * len(learners)  # training time of each learner since the last evaluation
    for step in range(1, schedule.steps + 1):
        x, t = next(batches)
        for index, learner in enumerate(learners):
            if learner.history.overflow_at is not None:
                continue
            started = time.perf_counter()
            loss = train_step(learner, x, t, loss_fn)
            seconds[index] += time.perf_counter() - started
            if not _finite(loss, learner):
                learner.history.overflow_at = step
                if overflow == "raise":
                    raise FloatingPointError(f"{learner.name}: the loss or a weight stopped being finite at step "
                                             f"{step} (loss {loss})")
        bar.set_postfix({learner.name: learner.history.loss[-1] for learner in learners}, refresh=False)
        bar.update(1)
        for learner in learners:
            if learner.scheduler is not None and step % schedule.epoch == 0:
                learner.scheduler.step()
        if schedule.evaluates_after(step):
            bar.close()
            number = len(learners[0].history.steps) + 1
            for index, learner in enumerate(learners):
                _evaluate(learner, step, evaluations, seconds[index])
                seconds[index] = 0.0
            if log_every and ((number - 1) % log_every == 0 or step == schedule.steps):
                print(_log_line(learners, number, step), flush=True)
            if step < schedule.steps:
                bar = progress_bar(schedule.epoch, f"epoch {number + 1}", progress)
    bar.close()


def train_step(learner: Learner, x: tg.Tensor, t: tg.Tensor, loss_fn: Callable) -> float:
    """One update of one learner; returns the minibatch loss (the book's L2 term included)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected and reported by train
        learner.optimizer.zero_grad()
        loss = loss_fn(learner.model(x), t)
        if learner.weight_decay:
            loss = loss + weight_penalty(learner.model, learner.weight_decay)
        loss.backward()
        learner.optimizer.step()
    learner.history.loss.append(loss.item())
    return learner.history.loss[-1]


def _finite(loss: float, learner: Learner) -> bool:
    return bool(np.isfinite(loss)) and all(np.isfinite(p.data).all() for p in learner.model.parameters())


def _evaluate(learner: Learner, step: int, evaluations: dict[str, tuple[np.ndarray, np.ndarray]],
              seconds: float) -> None:
    history = learner.history
    history.steps.append(step)
    history.epoch_seconds.append(seconds)
    for name, (x, t) in evaluations.items():
        overflowed = history.overflow_at is not None
        history.accuracy[name].append(None if overflowed else evaluate_accuracy(learner.model, x, t))


def _log_line(learners: list[Learner], number: int, step: int) -> str:
    """epoch, step, then per learner: mean loss since the last line, accuracies, seconds of training."""
    fields = [f"epoch {number:3d} (step {step:5d})"]
    for learner in learners:
        history = learner.history
        if len(learners) > 1:
            fields.append(f"{learner.name}:")
        if history.overflow_at is not None:
            fields.append(f"overflow at step {history.overflow_at}")
            continue
        since = history.steps[-2] if len(history.steps) > 1 else 0
        fields.append(f"loss {np.mean(history.loss[since:]):.4f}")
        fields += [f"{key} {values[-1]:.4f}" for key, values in history.accuracy.items()]
        fields.append(f"{history.epoch_seconds[-1]:.1f} s")
    return "  ".join(fields)


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


def progress_bar(total: int, description: str, enabled: bool = True):
    """A progress bar over `total` steps with tqdm's interface (update, set_postfix, close).

    tqdm.auto's bar when tqdm is installed (a text bar in a terminal, a widget in a notebook),
    else the one-line ProgressBar below; nothing outside a terminal or notebook (logs stay clean).
    """
    if not enabled or not (sys.stdout.isatty() or "ipykernel" in sys.modules):
        return ProgressBar(total, description, enabled=False)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return ProgressBar(total, description)
    return tqdm(total=total, desc=description, leave=False)


class ProgressBar:
    """A one-line text progress bar with the latest metrics, e.g. `epoch 1 [#####-----] 300/600 loss 0.512`.

    The fallback when tqdm is missing; it mimics the part of tqdm's interface the loop uses.
    """

    def __init__(self, total: int, description: str = "", enabled: bool = True, width: int = 30) -> None:
        self.total, self.description, self.width, self.count = max(int(total), 1), description, width, 0
        self.enabled = enabled
        self.metrics: dict[str, float] = {}
        self._last_draw = 0.0

    def set_postfix(self, metrics: dict[str, float], refresh: bool = True) -> None:
        self.metrics = dict(metrics)
        if refresh:
            self._draw()

    def update(self, steps: int = 1) -> None:
        self.count = min(self.count + steps, self.total)
        # Redrawing every step would cost more than a small net's step; 20 redraws a second suffice.
        if time.perf_counter() - self._last_draw >= 0.05 or self.count == self.total:
            self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        self._last_draw = time.perf_counter()
        filled = self.width * self.count // self.total
        text = " ".join(f"{name} {value:.4f}" for name, value in self.metrics.items())
        sys.stdout.write(f"\r{self.description} [{'#' * filled}{'-' * (self.width - filled)}] "
                         f"{self.count}/{self.total} {text}")
        sys.stdout.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()


def gradient_check(model, objective: Callable[[], tg.Tensor], max_elements: int | None = None,
                   eps: float = 1e-4) -> dict[str, float]:
    """The book's gradient_check.py: mean |numerical - backprop| of d objective / d parameter, per parameter.

    objective() computes the loss from the model's current parameters. Backprop runs once
    (objective().backward()); the numerical side perturbs each checked element by +-eps with
    tinygrad_edu.numerical_gradient (central differences), under no_grad(). max_elements checks
    only the first elements of each parameter (a fast spot check); None checks all, as the book.
    Run it on a float64 model: in float32 the differences would be rounding noise.
    """
    model.zero_grad()
    objective().backward()
    differences = {}
    for name, param in model.named_parameters():
        backprop = param.grad.numpy().reshape(-1)
        original = param.data
        count = backprop.size if max_elements is None else min(max_elements, backprop.size)

        def objective_at(values: np.ndarray) -> tg.Tensor:
            perturbed = original.copy()
            perturbed.reshape(-1)[:count] = values
            param.data = perturbed
            with tg.no_grad():
                return objective()

        try:
            numerical = tg.numerical_gradient(objective_at, original.reshape(-1)[:count], eps=eps)
        finally:
            param.data = original
        differences[name] = float(np.abs(numerical - backprop[:count]).mean())
    model.zero_grad()
    return differences
