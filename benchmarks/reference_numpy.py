"""The hand-written baseline: the book's layer classes (ch. 5-6) in float32 NumPy, as an expert writes them.

Each layer keeps what its backward needs and returns dx; parameters and their gradients live in
plain arrays. "Expert" means no needless work, because a lenient baseline flatters the framework:
the first Affine computes no gradient for the input images, gradients are written into arrays
allocated once (`out=`), a layer works in place on an array nobody else holds (the fresh output
of the layer below, or the fresh dx of the layer above), batch norm uses its closed-form
backward, and the optimizer updates parameters and state in place through one scratch array
per shape. This is the 1.00x against which tinygrad_edu and PyTorch are measured.
"""
from __future__ import annotations

import math

import numpy as np


class Affine:
    """out = x @ W.T + b, with W in PyTorch's (out, in) layout so weights can be shared."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, input_grad: bool = True) -> None:
        self.params = [weight, bias]
        self.grads = [np.zeros_like(weight), np.zeros_like(bias)]
        self.input_grad = input_grad  # False for the first layer: nobody needs d loss / d images

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.x = x
        out = x @ self.params[0].T
        out += self.params[1]
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        np.matmul(dout.T, self.x, out=self.grads[0])
        np.sum(dout, axis=0, out=self.grads[1])
        return dout @ self.params[0] if self.input_grad else None


class Sigmoid:
    params: list = []
    grads: list = []

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        out = np.negative(x, out=x)  # 1 / (1 + exp(-x)), in the array the layer below just made
        np.exp(out, out=out)
        out += 1
        self.out = np.reciprocal(out, out=out)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout *= 1.0 - self.out
        dout *= self.out
        return dout


class Relu:
    params: list = []
    grads: list = []

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.mask = x > 0
        return np.maximum(x, 0, out=x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.multiply(dout, self.mask, out=dout)


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
        xn = np.subtract(x, mu, out=x)
        var = np.mean(xn * xn, axis=0)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        xn *= self.inv_std
        self.running_mean *= 1 - self.momentum
        self.running_mean += self.momentum * mu
        self.running_var *= 1 - self.momentum
        self.running_var += (self.momentum * n / (n - 1)) * var
        self.xn = xn
        out = self.params[0] * xn
        out += self.params[1]
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        # dx = gamma / std * (dout - mean(dout) - xn * mean(dout * xn)), the closed form
        n = dout.shape[0]
        dbeta = np.sum(dout, axis=0, out=self.grads[1])
        dgamma = np.sum(dout * self.xn, axis=0, out=self.grads[0])
        dx = self.xn * (dgamma / n)
        np.subtract(dout, dx, out=dx)
        dx -= dbeta / n
        dx *= self.params[0] * self.inv_std
        return dx


class Dropout:
    """Inverted dropout (PyTorch's convention) with the masks drawn from a seeded generator."""

    params: list = []
    grads: list = []

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        self.p, self.rng = p, rng

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.mask = (self.rng.random(x.shape, dtype=np.float32) >= self.p) * np.float32(1.0 / (1.0 - self.p))
        return x * self.mask  # not in place: the activation below keeps x for its backward

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout *= self.mask
        return dout


class SoftmaxWithLoss:
    """Softmax and mean cross-entropy against integer labels; backward is (y - onehot) / N."""

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        rows = np.arange(x.shape[0])
        shifted = np.subtract(x, x.max(axis=1, keepdims=True), out=x)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, t]))  # log-softmax, exact
        exp /= total
        self.y, self.t, self.rows = exp, t, rows
        return loss

    def backward(self) -> np.ndarray:
        dx = self.y
        dx[self.rows, self.t] -= 1
        dx /= self.t.shape[0]
        return dx


class Net:
    """A stack of layers with a softmax-cross-entropy head, trained by one of three updates."""

    def __init__(self, layers: list, optimizer: str, lr: float, momentum: float = 0.9) -> None:
        self.layers, self.head = layers, SoftmaxWithLoss()
        self.optimizer, self.lr, self.momentum = optimizer, lr, momentum
        self.pairs = [(p, g) for layer in layers for p, g in zip(layer.params, layer.grads)]
        self.work = [np.empty_like(p) for p, _ in self.pairs]  # scratch for update terms
        slots = {"sgd": 0, "momentum": 1, "adam": 2}[optimizer]  # momentum buffer; Adam's m and v
        self.state = [[np.zeros_like(p) for _ in range(slots)] for p, _ in self.pairs]
        self.t = 0

    def step(self, x: np.ndarray, t: np.ndarray) -> float:
        loss = self.forward(x, t)
        self.backward()
        self.update()
        return loss

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        for layer in self.layers:
            x = layer.forward(x, True)
        return self.head.forward(x, t)

    def backward(self) -> None:
        dout = self.head.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)

    def update(self) -> None:
        self.t += 1
        lr, beta1, beta2, eps = self.lr, 0.9, 0.999, 1e-8
        for (p, g), work, state in zip(self.pairs, self.work, self.state):
            if self.optimizer == "sgd":
                np.multiply(g, -lr, out=work)
            elif self.optimizer == "momentum":  # PyTorch's form: m <- momentum m + g (m = g at t = 1)
                m = state[0]
                if self.t > 1:
                    m *= self.momentum
                m += g
                np.multiply(m, -lr, out=work)
            else:  # adam, PyTorch's form with the bias corrections folded into two scalars
                m, v = state
                np.subtract(g, m, out=work)
                work *= 1 - beta1
                m += work
                v *= beta2
                np.multiply(g, g, out=work)
                work *= 1 - beta2
                v += work
                np.sqrt(v, out=work)
                work *= 1 / math.sqrt(1 - beta2 ** self.t)
                work += eps
                np.divide(m, work, out=work)
                work *= -lr / (1 - beta1 ** self.t)
            p += work
