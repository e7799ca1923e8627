"""The book's chapter-6 networks in the framework's API, and the book-form layers they need.

The book's `MultiLayerNet` / `MultiLayerNetExtend` (Affine -> [BatchNorm] -> ReLU -> [Dropout],
repeated, then Affine and softmax cross-entropy) become an `nn.Sequential` built by
`multilayer_net`. Where the book's conventions differ from PyTorch's, the book's form is a small
Module here instead of a change to the library: `BookBatchNorm1d` (running_var starts at 0, biased
variance, momentum 0.9 meaning running = 0.9 running + 0.1 batch, eps 1e-6) and `BookDropout`
(no scaling in training, outputs times (1 - p) at test time). Also: the book's initial weight
scales, the L2 penalty on weights only, minibatch streams (the book's draws with replacement or a
shuffled DataLoader), the book's loss smoothing, and the training loops the examples share.
Used by examples/ch6_*.py; see docs/chapter6.md.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.functional as F
import tinygrad_edu.nn as nn
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.random import generator

from common import evaluate_accuracy

CONVENTIONS = ("pytorch", "book")


def book_init_std(init: str | float, fan_in: int) -> float:
    """The book's weight_init_std: "he" sqrt(2/n), "xavier" sqrt(1/n) (LeCun-style), or a number."""
    if isinstance(init, str):
        rules = {"he": 2.0, "relu": 2.0, "xavier": 1.0, "sigmoid": 1.0}
        if init.lower() not in rules:
            raise ValueError(f"unknown init {init!r}: use 'he', 'xavier' or a standard deviation")
        return math.sqrt(rules[init.lower()] / fan_in)
    return float(init)


class BookBatchNorm1d(nn.Module):
    """Batch Normalization exactly as the book's `BatchNormalization` layer computes it.

    Training normalises with the batch mean and biased variance (the differentiable part is the
    library's F.batch_norm); the running statistics start at 0 and follow
    running = momentum * running + (1 - momentum) * batch with the *biased* batch variance, the
    book's momentum 0.9 being PyTorch's momentum 0.1. Eval normalises with them and eps 1e-6.
    """

    def __init__(self, num_features: int, momentum: float = 0.9, eps: float = 1e-6) -> None:
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self.weight = nn.Parameter(tg.ones(num_features))
        self.bias = nn.Parameter(tg.zeros(num_features))
        self.register_buffer("running_mean", tg.zeros(num_features))
        self.register_buffer("running_var", tg.zeros(num_features))

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        if not self.training:
            return F.batch_norm(x, self.running_mean.data, self.running_var.data, self.weight, self.bias,
                                training=False, eps=self.eps)
        out = F.batch_norm(x, None, None, self.weight, self.bias, training=True, eps=self.eps)
        batch = x.data
        self.running_mean.data *= self.momentum
        self.running_mean.data += (1 - self.momentum) * batch.mean(axis=0)
        self.running_var.data *= self.momentum
        self.running_var.data += (1 - self.momentum) * batch.var(axis=0)  # biased, as the book's
        return out

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, momentum={self.momentum} (book form), eps={self.eps}"


class BookDropout(nn.Module):
    """The book's (non-inverted) Dropout: training zeroes each unit with probability p and leaves
    the rest unscaled; eval multiplies every unit by (1 - p). nn.Dropout scales by 1/(1 - p) in
    training instead: the same expected output, different training-time values and losses."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        if not self.training:
            return x * (1.0 - self.p)
        keep = generator().random(x.shape) > self.p  # the library generator, so manual_seed applies
        return x * keep.astype(x.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p} (book form: scaled at test time)"


def multilayer_net(hidden_sizes: list[int], init: str | float = "he", *, batch_norm: bool = False,
                   dropout: float = 0.0, convention: str = "pytorch", input_size: int = 784,
                   output_size: int = 10, dtype=None) -> nn.Sequential:
    """The book's MultiLayerNet(Extend): Linear -> [BatchNorm] -> ReLU -> [Dropout] per hidden layer.

    Every Linear gets W ~ N(0, std^2) with the book's std rule for its fan-in (the output layer
    too, as in the book) and zero bias. `convention` picks the BatchNorm/Dropout forms; `dtype`
    casts the whole net at the end (Module.to).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    layers: list[nn.Module] = []
    sizes = [input_size, *hidden_sizes, output_size]
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.normal_(linear.weight, 0.0, book_init_std(init, fan_in))
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if index == len(hidden_sizes):
            break
        if batch_norm:
            layers.append(BookBatchNorm1d(fan_out) if convention == "book" else nn.BatchNorm1d(fan_out))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(BookDropout(dropout) if convention == "book" else nn.Dropout(dropout))
    net = nn.Sequential(*layers)
    return net.to(dtype) if dtype is not None else net


def weight_penalty(model: nn.Module, weight_decay: float) -> tg.Tensor | float:
    """The book's L2 term 0.5 * lambda * sum ||W||^2 over Linear weights only (biases, BN skipped)."""
    if not weight_decay:
        return 0.0
    squares = [(module.weight * module.weight).sum() for module in model.modules() if isinstance(module, nn.Linear)]
    return 0.5 * weight_decay * sum(squares[1:], squares[0])


def minibatches(x: np.ndarray, t: np.ndarray, batch_size: int,
                convention: str) -> Iterator[tuple[tg.Tensor, tg.Tensor]]:
    """An endless stream of (images, labels) minibatches.

    book: each batch is `batch_size` indices drawn with replacement (the book's np.random.choice),
    from the library generator so `tg.manual_seed` makes the run reproducible. pytorch: passes of a
    shuffled DataLoader, one after the other.
    """
    if convention == "book":
        while True:
            index = generator().integers(0, len(x), size=batch_size)
            yield tg.from_numpy(x[index]), tg.from_numpy(t[index])
    loader = DataLoader(TensorDataset(tg.from_numpy(x), tg.from_numpy(t)), batch_size=batch_size, shuffle=True)
    while True:
        yield from loader


def smooth_curve(values: list[float] | np.ndarray, window: int = 11) -> np.ndarray:
    """The book's smoothing for loss curves: a Kaiser-window (beta 2) moving average over 11
    points, the ends mirrored so the result has the input's length."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < window:
        return values.copy()
    half = window // 2
    padded = np.concatenate([values[half:0:-1], values, values[-2:-half - 2:-1]])
    weights = np.kaiser(window, 2.0)
    return np.convolve(padded, weights / weights.sum(), mode="valid")


def numpy_dtype(convention: str) -> np.dtype:
    """float64 for the book (its weights are float64), the default float32 otherwise."""
    return np.dtype(np.float64) if convention == "book" else tg.get_default_dtype()


def train_on_shared_batches(models: dict[str, nn.Module], optimizers: dict, batches: Iterator, iterations: int,
                            log_every: int = 100) -> dict[str, list[float]]:
    """Train every model on the same minibatch each iteration; return each one's loss per iteration.

    The loss recorded is the minibatch loss before that update. A loss that stops being finite
    raises, naming the model and the iteration (an overflow should never pass as a number).
    """
    loss_fn = nn.CrossEntropyLoss()
    losses: dict[str, list[float]] = {name: [] for name in models}
    for iteration in range(iterations):
        x, t = next(batches)
        for name, model in models.items():
            optimizers[name].zero_grad()
            loss = loss_fn(model(x), t)
            loss.backward()
            optimizers[name].step()
            if not np.isfinite(loss.item()):
                raise FloatingPointError(f"{name}: the loss became {loss.item()} at iteration {iteration}")
            losses[name].append(loss.item())
        if iteration % log_every == 0 or iteration == iterations - 1:
            print(f"iteration {iteration:5d}  " + "  ".join(f"{n} {v[-1]:.3f}" for n, v in losses.items()))
    return losses


def train_epochs(model: nn.Module, optimizer, train: tuple[np.ndarray, np.ndarray],
                 evaluations: dict[str, tuple[np.ndarray, np.ndarray]], epochs: int, batch_size: int,
                 convention: str, penalty: float = 0.0, on_epoch=None) -> dict[str, list[float]]:
    """Minibatch training with an accuracy evaluation per epoch (an epoch = len(train) / batch_size steps).

    book: the book's loops draw batches with replacement and evaluate right after iterations
    0, N/B, 2N/B, ... (so the first point follows a single update). pytorch: full passes of a
    shuffled DataLoader, evaluated after each. `penalty` adds the book's 0.5 * lambda * ||W||^2
    (weights only) to the loss that is differentiated and reported. Returns the per-iteration
    losses and one accuracy list per entry of `evaluations`; a non-finite loss raises.
    """
    per_epoch = max(len(train[0]) // batch_size, 1)
    first = 0 if convention == "book" else per_epoch - 1
    loss_fn = nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"loss": [], **{name: [] for name in evaluations}}
    batches = minibatches(train[0], train[1], batch_size, convention)
    model.train()
    for iteration in range(first + (epochs - 1) * per_epoch + 1):
        x, t = next(batches)
        optimizer.zero_grad()
        loss = loss_fn(model(x), t) + weight_penalty(model, penalty)
        loss.backward()
        optimizer.step()
        if not np.isfinite(loss.item()):
            raise FloatingPointError(f"the loss became {loss.item()} at iteration {iteration}")
        history["loss"].append(loss.item())
        if iteration >= first and (iteration - first) % per_epoch == 0:
            for name, (x_eval, t_eval) in evaluations.items():
                history[name].append(evaluate_accuracy(model, x_eval, t_eval))
            if on_epoch is not None:
                on_epoch(len(history[next(iter(evaluations))]) - 1, history)
    return history


def figure_label(source: str, convention: str) -> str:
    """A short data-set name for figure titles, from load_images' one-line description."""
    return f"{source.split(' train')[0]}, {convention} convention"
