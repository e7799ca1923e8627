"""The one net builder of the examples, the book's weight scales, and the book-form layers.

`mlp([784, 100, 100, 10], "relu", init="he")` is the book's TwoLayerNet (ch. 4-5) and
MultiLayerNet(Extend) (ch. 6) as an `nn.Sequential`: Linear -> [BatchNorm] -> activation ->
[Dropout] per hidden layer, then Linear; the softmax lives in the loss (F.cross_entropy), as in
the book's SoftmaxWithLoss. `init_weights_` gives the layers of any net the book's initial weights
(the chapter 7 and 8 conv nets use it too). Where the book's conventions differ from PyTorch's,
the book's form is a small Module here instead of an option of the library: `BookBatchNorm1d`
(running_var starts at 0, biased variance, momentum 0.9 meaning running = 0.9 running + 0.1
batch, eps 1e-6) and `BookDropout` (no scaling in training, outputs times (1 - p) at test time).
`weight_penalty` is the book's L2 term. See docs/chapter6.md.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.functional as F
import tinygrad_edu.nn as nn
from tinygrad_edu.random import generator

CONVENTIONS = ("pytorch", "book")
ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}
# The book's weight_init_std names: "he" sqrt(2/n), "xavier" sqrt(1/n) (LeCun-style, not Glorot's).
BOOK_INIT_GAINS = {"he": 2.0, "relu": 2.0, "xavier": 1.0, "sigmoid": 1.0}
WEIGHTED_LAYERS = (nn.Linear, nn.Conv2d)  # the layers init_weights_ and weight_penalty treat as the book's Affine


def check_convention(convention: str) -> str:
    """The convention name itself, or a ValueError naming the two there are."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def book_init_std(init: str | float, fan_in: int) -> float:
    """The book's weight_init_std: "he" sqrt(2/n), "xavier" sqrt(1/n), or a number used as it is."""
    if isinstance(init, str):
        if init.lower() not in BOOK_INIT_GAINS:
            raise ValueError(f"unknown init {init!r}: use 'he', 'xavier' or a standard deviation")
        return math.sqrt(BOOK_INIT_GAINS[init.lower()] / fan_in)
    return float(init)


def init_weights_(module: nn.Module, init: str | float) -> nn.Module:
    """Every Linear and Conv2d in `module` (itself included): W ~ N(0, std^2) with the book's std
    for its fan-in (in_features, or in_channels * kernel area), bias 0. Returns `module`.

    In nn.init's words "he" is kaiming_normal_(w, nonlinearity="relu") and "xavier" is
    kaiming_normal_(w, nonlinearity="linear"); the book writes sqrt(2 / n), which can differ from
    PyTorch's sqrt(2) / sqrt(n) in the last bit, so the book's formula is kept.
    """
    for layer in module.modules():
        if isinstance(layer, WEIGHTED_LAYERS):
            fan_in = int(np.prod(layer.weight.shape[1:]))
            nn.init.normal_(layer.weight, 0.0, book_init_std(init, fan_in))
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def mlp(sizes: Sequence[int], activation: str = "relu", init: str | float | None = "he", *,
        batch_norm: bool = False, dropout: float = 0.0, convention: str = "pytorch", dtype=None) -> nn.Sequential:
    """The book's fully connected nets: sizes [784, 100, ..., 10] give Linear layers between them.

    Each hidden layer is Linear -> [BatchNorm] -> activation ("relu" or "sigmoid") -> [Dropout].
    init: the book's "he"/"xavier" or a standard deviation, applied to each Linear as it is
    built (init_weights_); None keeps nn.Linear's default (PyTorch's) initialisation.
    `convention` picks the BatchNorm/Dropout forms; `dtype` casts the whole net at the end.
    """
    check_convention(convention)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {list(sizes)}")
    layers: list[nn.Module] = []
    last = len(sizes) - 2
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        if init is not None:
            init_weights_(linear, init)
        layers.append(linear)
        if index == last:
            break
        if batch_norm:
            layers.append(BookBatchNorm1d(fan_out) if convention == "book" else nn.BatchNorm1d(fan_out))
        layers.append(ACTIVATIONS[activation]())
        if dropout:
            layers.append(BookDropout(dropout) if convention == "book" else nn.Dropout(dropout))
    net = nn.Sequential(*layers)
    return net.to(dtype) if dtype is not None else net


def numpy_dtype(convention: str) -> np.dtype:
    """float64 for the book (its weights are float64), the default float32 otherwise."""
    return np.dtype(np.float64) if check_convention(convention) == "book" else tg.get_default_dtype()


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


def weight_penalty(model: nn.Module, weight_decay: float) -> tg.Tensor | float:
    """The book's L2 term 0.5 * lambda * sum ||W||^2 over Linear and Conv2d weights (biases, BN skipped)."""
    if not weight_decay:
        return 0.0
    squares = [(module.weight * module.weight).sum() for module in model.modules()
               if isinstance(module, WEIGHTED_LAYERS)]
    return 0.5 * weight_decay * sum(squares[1:], squares[0])
