"""The benchmark nets, built identically in tinygrad_edu, hand-written NumPy and PyTorch.

Every implementation starts from the same float32 weights (PyTorch's (out, in) layout, drawn
once from a seeded generator) and trains on the same cycled batches. The inputs are uniform
noise in [0, 1): step time does not depend on pixel values, and the benchmark must run on a
machine without any data set.

Adding a workload: write a class with the methods of `Workload` below (`batches`, `build`,
`floor_step`, `tiny`) and put an instance in `WORKLOADS`; run.py needs nothing else.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from . import reference_numpy as ref
from .convnet import SimpleConvNet
from .steps import Step, training_step


class Workload(Protocol):
    """What run.py needs from a workload."""

    name: str

    def batches(self, count: int = 8, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        """Float32 inputs and integer labels, the same for every implementation."""

    def build(self, implementation: str, dropout: float | None = None, package: str = "tinygrad_edu") -> Step:
        """A training step `step(x, t) -> loss` in "numpy", "tinygrad_edu" or "pytorch".

        `package` names another importable copy of tinygrad_edu to build with (before_after.py).
        """

    def floor_step(self) -> Callable[[], None]:
        """The step's BLAS work alone (float32, no gradient for the input): no implementation beats it."""

    def tiny(self) -> Workload:
        """The same net at width 1 and batch 2: every op runs, the arithmetic is negligible."""


@dataclass(frozen=True)
class MLP:
    """A multilayer perceptron with a softmax cross-entropy head (W1-W4)."""

    name: str
    sizes: tuple[int, ...]
    activation: str  # "sigmoid" or "relu"
    init_std: str  # "0.01" or "he"
    batch: int
    optimizer: str  # "sgd", "momentum" or "adam"
    lr: float
    batch_norm: bool = False
    dropout: float = 0.0

    def batches(self, count: int = 8, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(seed)
        return [(rng.random((self.batch, self.sizes[0]), dtype=np.float32),
                 rng.integers(0, self.sizes[-1], self.batch)) for _ in range(count)]

    def build(self, implementation: str, dropout: float | None = None, package: str = "tinygrad_edu") -> Step:
        p = self.dropout if dropout is None else dropout
        if implementation == "tinygrad_edu":
            return build_tinygrad(self, p, package=package)
        return MLP_BUILDERS[implementation](self, p)

    def floor_step(self) -> Callable[[], None]:
        weights = [weight for weight, _ in initial_weights(self)]
        x0 = self.batches(count=1)[0][0]

        def step() -> None:
            activations = [x0]
            for weight in weights:
                activations.append(activations[-1] @ weight.T)
            grad = activations[-1]
            for index in range(len(weights) - 1, -1, -1):
                _ = grad.T @ activations[index]  # the weight's gradient
                if index:  # the input images get no gradient
                    grad = grad @ weights[index]

        return step

    def tiny(self) -> MLP:
        return replace(self, name=self.name + " (width 1, batch 2)", sizes=(1,) * len(self.sizes), batch=2)


WORKLOADS = {
    "W1": MLP("W1 784-50-10 sigmoid, batch 100, SGD", (784, 50, 10), "sigmoid", "0.01", 100, "sgd", 0.1),
    "W2": MLP("W2 784-100x4-10 ReLU He, batch 128, Adam", (784, 100, 100, 100, 100, 10), "relu", "he", 128,
                   "adam", 1e-3),
    "W3": MLP("W3 = W2 + BatchNorm1d + Dropout(0.15)", (784, 100, 100, 100, 100, 10), "relu", "he", 128, "adam",
                   1e-3, batch_norm=True, dropout=0.15),
    "W4": MLP("W4 784-2048-2048-10, batch 512, SGD momentum", (784, 2048, 2048, 10), "relu", "he", 512,
                   "momentum", 0.01),
    "W5": SimpleConvNet(),
}


def initial_weights(w: MLP, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(w.sizes[:-1], w.sizes[1:]):
        std = 0.01 if w.init_std == "0.01" else np.sqrt(2.0 / fan_in)
        layers.append(((rng.standard_normal((fan_out, fan_in)) * std).astype(np.float32),
                       np.zeros(fan_out, dtype=np.float32)))
    return layers


def build_reference(w: MLP, p: float) -> Step:
    return reference_net(w, p).step


def reference_net(w: MLP, p: float) -> ref.Net:
    """The hand-written net itself (phases.py times its layers' passes one by one)."""
    rng = np.random.default_rng(2)
    layers: list = []
    weights = initial_weights(w)
    for i, (weight, bias) in enumerate(weights):
        layers.append(ref.Affine(weight.copy(), bias.copy(), input_grad=i > 0))
        if i < len(weights) - 1:
            if w.batch_norm:
                width = weight.shape[0]
                layers.append(ref.BatchNorm(np.ones(width, np.float32), np.zeros(width, np.float32)))
            layers.append(ref.Sigmoid() if w.activation == "sigmoid" else ref.Relu())
            if p:
                layers.append(ref.Dropout(p, rng))
    return ref.Net(layers, w.optimizer, w.lr)


def build_tinygrad(w: MLP, p: float, package: str = "tinygrad_edu") -> Step:
    """The MLP in tinygrad_edu, or in another copy of it importable as `package` (before_after.py)."""
    model, opt, F = tinygrad_parts(w, p, package)
    return training_step(model, opt, F.cross_entropy)


def tinygrad_parts(w: MLP, p: float, package: str = "tinygrad_edu") -> tuple[Any, Any, Any]:
    """The model, its optimizer and the functional module a tinygrad_edu step is made of."""
    tg = importlib.import_module(package)
    F = importlib.import_module(package + ".functional")
    nn, optim = tg.nn, tg.optim

    tg.manual_seed(2)
    modules: list = []
    weights = initial_weights(w)
    for i, (weight, bias) in enumerate(weights):
        linear = nn.Linear(weight.shape[1], weight.shape[0])
        linear.weight.data[...] = weight
        linear.bias.data[...] = bias
        modules.append(linear)
        if i < len(weights) - 1:
            if w.batch_norm:
                modules.append(nn.BatchNorm1d(weight.shape[0]))
            modules.append(nn.Sigmoid() if w.activation == "sigmoid" else nn.ReLU())
            if p:
                modules.append(nn.Dropout(p))
    model = nn.Sequential(*modules)
    if w.optimizer == "sgd":
        opt = optim.SGD(model.parameters(), lr=w.lr)
    elif w.optimizer == "momentum":
        opt = optim.SGD(model.parameters(), lr=w.lr, momentum=0.9)
    else:
        opt = optim.Adam(model.parameters(), lr=w.lr)
    return model, opt, F


def build_torch(w: MLP, p: float) -> Step:
    import torch

    torch.manual_seed(2)
    modules: list = []
    weights = initial_weights(w)
    for i, (weight, bias) in enumerate(weights):
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        if i < len(weights) - 1:
            if w.batch_norm:
                modules.append(torch.nn.BatchNorm1d(weight.shape[0]))
            modules.append(torch.nn.Sigmoid() if w.activation == "sigmoid" else torch.nn.ReLU())
            if p:
                modules.append(torch.nn.Dropout(p))
    model = torch.nn.Sequential(*modules)
    if w.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=w.lr)
    elif w.optimizer == "momentum":
        opt = torch.optim.SGD(model.parameters(), lr=w.lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=w.lr)
    return training_step(model, opt, torch.nn.functional.cross_entropy)


def inputs_for(implementation: str, data: list[tuple[np.ndarray, np.ndarray]],
               package: str = "tinygrad_edu") -> list[tuple[object, object]]:
    """The batches as each implementation's training loop would receive them from its loader."""
    if implementation == "tinygrad_edu":
        tg = importlib.import_module(package)
        return [(tg.tensor(x), tg.tensor(t)) for x, t in data]
    if implementation == "pytorch":
        import torch
        return [(torch.from_numpy(x.copy()), torch.from_numpy(t.copy())) for x, t in data]
    return data


MLP_BUILDERS = {"numpy": build_reference, "pytorch": build_torch}  # tinygrad_edu: MLP.build names its package
