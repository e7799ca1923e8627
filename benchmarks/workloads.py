"""The four benchmark nets, built identically in tinygrad_edu, hand-written NumPy and PyTorch.

Every implementation starts from the same float32 weights (PyTorch's (out, in) layout, drawn
once from a seeded generator) and trains on the same cycled batches. The inputs are uniform
noise in [0, 1): step time does not depend on pixel values, and the benchmark must run on a
machine without any data set.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import reference_numpy as ref


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]
    activation: str  # "sigmoid" or "relu"
    init_std: str  # "0.01" or "he"
    batch: int
    optimizer: str  # "sgd", "momentum" or "adam"
    lr: float
    batch_norm: bool = False
    dropout: float = 0.0


WORKLOADS = {
    "W1": Workload("W1 784-50-10 sigmoid, batch 100, SGD", (784, 50, 10), "sigmoid", "0.01", 100, "sgd", 0.1),
    "W2": Workload("W2 784-100x4-10 ReLU He, batch 128, Adam", (784, 100, 100, 100, 100, 10), "relu", "he", 128,
                   "adam", 1e-3),
    "W3": Workload("W3 = W2 + BatchNorm1d + Dropout(0.15)", (784, 100, 100, 100, 100, 10), "relu", "he", 128, "adam",
                   1e-3, batch_norm=True, dropout=0.15),
    "W4": Workload("W4 784-2048-2048-10, batch 512, SGD momentum", (784, 2048, 2048, 10), "relu", "he", 512,
                   "momentum", 0.01),
}


def initial_weights(w: Workload, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(w.sizes[:-1], w.sizes[1:]):
        std = 0.01 if w.init_std == "0.01" else np.sqrt(2.0 / fan_in)
        layers.append(((rng.standard_normal((fan_out, fan_in)) * std).astype(np.float32),
                       np.zeros(fan_out, dtype=np.float32)))
    return layers


def batches(w: Workload, count: int = 8, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.random((w.batch, w.sizes[0]), dtype=np.float32), rng.integers(0, w.sizes[-1], w.batch))
            for _ in range(count)]


def build_reference(w: Workload, dropout: float | None = None) -> Callable[[np.ndarray, np.ndarray], float]:
    p = w.dropout if dropout is None else dropout
    rng = np.random.default_rng(2)
    layers: list = []
    weights = initial_weights(w)
    for i, (weight, bias) in enumerate(weights):
        layers.append(ref.Affine(weight.copy(), bias.copy()))
        if i < len(weights) - 1:
            if w.batch_norm:
                layers.append(ref.BatchNorm(np.ones(weight.shape[0], np.float32), np.zeros(weight.shape[0], np.float32)))
            layers.append(ref.Sigmoid() if w.activation == "sigmoid" else ref.Relu())
            if p:
                layers.append(ref.Dropout(p, rng))
    net = ref.Net(layers, w.optimizer, w.lr)
    return net.step


def build_tinygrad(w: Workload, dropout: float | None = None) -> Callable[[object, object], float]:
    import tinygrad_edu as tg
    import tinygrad_edu.functional as F
    from tinygrad_edu import nn, optim

    p = w.dropout if dropout is None else dropout
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

    def step(x, t) -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def build_torch(w: Workload, dropout: float | None = None) -> Callable[[object, object], float]:
    import torch

    p = w.dropout if dropout is None else dropout
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

    def step(x, t) -> float:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def inputs_for(implementation: str, data: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[object, object]]:
    """The batches as each implementation's training loop would receive them from its loader."""
    if implementation == "tinygrad_edu":
        import tinygrad_edu as tg
        return [(tg.tensor(x), tg.tensor(t)) for x, t in data]
    if implementation == "pytorch":
        import torch
        return [(torch.from_numpy(x.copy()), torch.from_numpy(t.copy())) for x, t in data]
    return data


BUILDERS = {"numpy": build_reference, "tinygrad_edu": build_tinygrad, "pytorch": build_torch}
