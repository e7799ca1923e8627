"""The hand-written baseline: the book's layer classes (ch. 5-6) in float32 NumPy.

Each layer keeps what its backward needs and returns dx; parameters and their gradients
live in plain arrays. This is how a careful reader of the book would write the nets by hand,
and it is the 1.00x against which tinygrad_edu and PyTorch are measured.
"""
from __future__ import annotations

import numpy as np


class Affine:
    """out = x @ W.T + b, with W in PyTorch's (out, in) layout so weights can be shared."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.params = [weight, bias]
        self.grads = [np.zeros_like(weight), np.zeros_like(bias)]

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.x = x
        return x @ self.params[0].T + self.params[1]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.grads[0] = dout.T @ self.x
        self.grads[1] = dout.sum(axis=0)
        return dout @ self.params[0]


class Sigmoid:
    params: list = []
    grads: list = []

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - self.out) * self.out


class Relu:
    params: list = []
    grads: list = []

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout[self.mask] = 0
        return dout


class BatchNorm:
    """Training-mode batch normalisation over axis 0 with PyTorch's running-stat update."""

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, momentum: float = 0.1, eps: float = 1e-5) -> None:
        self.params = [gamma, beta]
        self.grads = [np.zeros_like(gamma), np.zeros_like(beta)]
        self.running_mean = np.zeros_like(gamma)
        self.running_var = np.ones_like(gamma)
        self.momentum, self.eps = momentum, eps

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        n = x.shape[0]
        mu = x.mean(axis=0)
        xc = x - mu
        var = np.mean(xc ** 2, axis=0)
        std = np.sqrt(var + self.eps)
        xn = xc / std
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mu
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / (n - 1)
        self.n, self.xc, self.xn, self.std = n, xc, xn, std
        return self.params[0] * xn + self.params[1]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        gamma = self.params[0]
        self.grads[1] = dout.sum(axis=0)
        self.grads[0] = np.sum(self.xn * dout, axis=0)
        dxn = gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.n) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / self.n


class Dropout:
    """Inverted dropout (PyTorch's convention) with the masks drawn from a seeded generator."""

    params: list = []
    grads: list = []

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        self.p, self.rng = p, rng

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.mask = (self.rng.random(x.shape, dtype=np.float32) >= self.p) * np.float32(1.0 / (1.0 - self.p))
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask


class SoftmaxWithLoss:
    """Softmax and mean cross-entropy against integer labels; backward is (y - onehot) / N."""

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        shifted = x - x.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        self.y = exp / exp.sum(axis=1, keepdims=True)
        self.t = t
        n = x.shape[0]
        return float(-np.log(self.y[np.arange(n), t] + 1e-7).mean())

    def backward(self) -> np.ndarray:
        n = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / n


class Net:
    """A stack of layers with a softmax-cross-entropy head, trained by one of three updates."""

    def __init__(self, layers: list, optimizer: str, lr: float, momentum: float = 0.9) -> None:
        self.layers, self.head = layers, SoftmaxWithLoss()
        self.optimizer, self.lr, self.momentum = optimizer, lr, momentum
        self.state: dict[int, list[np.ndarray]] = {}
        self.t = 0

    def step(self, x: np.ndarray, t: np.ndarray) -> float:
        for layer in self.layers:
            x = layer.forward(x, True)
        loss = self.head.forward(x, t)
        dout = self.head.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        self.update()
        return loss

    def update(self) -> None:
        self.t += 1
        for layer in self.layers:
            for i, (p, g) in enumerate(zip(layer.params, layer.grads)):
                key = id(p)
                if self.optimizer == "sgd":
                    p -= self.lr * g
                elif self.optimizer == "momentum":  # PyTorch's form: v <- m v + g; p <- p - lr v
                    if key not in self.state:
                        self.state[key] = [g.copy()]
                    else:
                        v = self.state[key][0]
                        v *= self.momentum
                        v += g
                    p -= self.lr * self.state[key][0]
                else:  # adam, PyTorch's form
                    if key not in self.state:
                        self.state[key] = [np.zeros_like(p), np.zeros_like(p)]
                    m, v = self.state[key]
                    m += (1 - 0.9) * (g - m)
                    v += (1 - 0.999) * (g * g - v)
                    m_hat = m / (1 - 0.9 ** self.t)
                    v_hat = v / (1 - 0.999 ** self.t)
                    p -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)
