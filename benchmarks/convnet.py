"""W5: the book's SimpleConvNet in tinygrad_edu, hand-written NumPy (im2col) and PyTorch.

Conv 30 5x5 -> ReLU -> MaxPool 2x2 -> Linear 4320-100 -> ReLU -> Linear 100-10, batch 100, Adam
lr 1e-3, weights N(0, 0.01^2) and zero biases (the book's ch07/train_convnet.py), inputs
(100, 1, 28, 28) uniform noise. The NumPy baseline is the book's Convolution and Pooling layers
as an expert writes them: im2col is one copy of a strided view laid out for one GEMM, the
convolution computes no gradient for the images, the 2x2 pooling is a reshape and its mask, and
the rest (Affine, Relu, softmax head, in-place Adam) is reference_numpy's.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import reference_numpy as ref
from .steps import Step, training_step


class Convolution:
    """The book's Convolution (stride 1, no padding): im2col with positions along the columns, one GEMM."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.params = [weight, bias]
        self.grads = [np.zeros_like(weight), np.zeros_like(bias)]

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        weight, bias = self.params
        filters, _, kh, kw = weight.shape
        n = x.shape[0]
        view = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, OH, OW, kh, kw), no copy
        oh, ow = view.shape[2:4]
        self.col = view.transpose(1, 4, 5, 0, 2, 3).reshape(-1, n * oh * ow)  # im2col: (C kh kw, N OH OW)
        out = weight.reshape(filters, -1) @ self.col
        out += bias[:, None]
        return out.reshape(filters, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, dout: np.ndarray) -> None:
        filters = dout.shape[1]
        dout = dout.transpose(1, 0, 2, 3).reshape(filters, -1)
        np.matmul(dout, self.col.T, out=self.grads[0].reshape(filters, -1))
        np.sum(dout, axis=1, out=self.grads[1])
        return None  # the first layer: nobody needs d loss / d images


class Pooling:
    """The book's 2x2 stride-2 max Pooling on the four strided quarters of x (any memory layout)."""

    params: list = []
    grads: list = []

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.quarters = [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
        a, b, c, d = self.quarters
        self.out = np.maximum(np.maximum(a, b), np.maximum(c, d))
        self.shape = x.shape
        return self.out.copy()  # the layer above may work in place on its input

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = np.empty(self.shape, dtype=dout.dtype)
        for (i, j), quarter in zip(((0, 0), (0, 1), (1, 0), (1, 1)), self.quarters):
            # ties are measure-zero on real activations: equality is the argmax mask
            np.multiply(quarter == self.out, dout, out=dx[:, :, i::2, j::2])
        return dx


class Flatten:
    params: list = []
    grads: list = []

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self.shape)


@dataclass(frozen=True)
class SimpleConvNet:
    """The book's SimpleConvNet (ch. 7) on (batch, 1, side, side) images."""

    name: str = "W5 SimpleConvNet conv30x5x5-pool-100-10, batch 100, Adam"
    batch: int = 100
    side: int = 28
    filters: int = 30
    kernel: int = 5
    hidden: int = 100
    classes: int = 10
    lr: float = 1e-3

    @property
    def flat(self) -> int:
        return self.filters * ((self.side - self.kernel + 1) // 2) ** 2

    def initial_weights(self, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(seed)
        shapes = [(self.filters, 1, self.kernel, self.kernel), (self.hidden, self.flat), (self.classes, self.hidden)]
        return [((rng.standard_normal(s) * 0.01).astype(np.float32), np.zeros(s[0], np.float32)) for s in shapes]

    def batches(self, count: int = 8, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(seed)
        return [(rng.random((self.batch, 1, self.side, self.side), dtype=np.float32),
                 rng.integers(0, self.classes, self.batch)) for _ in range(count)]

    def build(self, implementation: str, dropout: float | None = None, package: str = "tinygrad_edu") -> Step:
        if implementation == "tinygrad_edu":
            return self._tinygrad(package)
        return {"numpy": self._numpy, "pytorch": self._torch}[implementation]()

    def _numpy(self) -> Step:
        (cw, cb), (w1, b1), (w2, b2) = self.initial_weights()
        layers = [Convolution(cw, cb), ref.Relu(), Pooling(), Flatten(), ref.Affine(w1, b1), ref.Relu(),
                  ref.Affine(w2, b2)]
        return ref.Net(layers, "adam", self.lr).step

    def _tinygrad(self, package: str) -> Step:
        tg = importlib.import_module(package)
        F = importlib.import_module(package + ".functional")
        nn, optim = tg.nn, tg.optim
        model = nn.Sequential(nn.Conv2d(1, self.filters, self.kernel), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(self.flat, self.hidden), nn.ReLU(), nn.Linear(self.hidden, self.classes))
        for (weight, bias), layer in zip(self.initial_weights(), (model[0], model[4], model[6])):
            layer.weight.data[...] = weight
            layer.bias.data[...] = bias
        return training_step(model, optim.Adam(model.parameters(), lr=self.lr), F.cross_entropy)

    def _torch(self) -> Step:
        import torch

        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, self.filters, self.kernel), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(self.flat, self.hidden), torch.nn.ReLU(),
            torch.nn.Linear(self.hidden, self.classes))
        with torch.no_grad():
            for (weight, bias), layer in zip(self.initial_weights(), (model[0], model[4], model[6])):
                layer.weight.copy_(torch.from_numpy(weight))
                layer.bias.copy_(torch.from_numpy(bias))
        return training_step(model, torch.optim.Adam(model.parameters(), lr=self.lr),
                             torch.nn.functional.cross_entropy)

    def floor_step(self) -> Callable[[], None]:
        """The step's GEMMs alone: conv forward and dW (on a ready im2col matrix), the two Linear layers."""
        (cw, _), (w1, _), (w2, _) = self.initial_weights()
        x = self.batches(count=1)[0][0]
        side = self.side - self.kernel + 1
        col = np.ascontiguousarray(sliding_window_view(x, (self.kernel,) * 2, axis=(2, 3))
                                   .transpose(1, 4, 5, 0, 2, 3).reshape(-1, self.batch * side * side))
        conv_w = cw.reshape(self.filters, -1)
        flat = np.zeros((self.batch, self.flat), np.float32) + 0.5

        def step() -> None:
            out = conv_w @ col
            hidden = flat @ w1.T
            logits = hidden @ w2.T
            _ = logits.T @ hidden
            d_hidden = logits @ w2
            _ = d_hidden.T @ flat
            _ = d_hidden @ w1  # the gradient that reaches the pooled activations
            _ = out @ col.T  # dW of the convolution (the images get no gradient)

        return step

    def tiny(self) -> SimpleConvNet:
        return replace(self, name=self.name + " (tiny: 1 filter, side 6, batch 2)", batch=2, side=6, filters=1,
                       kernel=3, hidden=1)
