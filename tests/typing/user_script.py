"""A user's script, type-checked with `mypy --strict` against the installed package (test_packaging.py).

It touches the public API the way the README and docs do; every name it uses must be typed well
enough that a strict checker accepts this file without casts or ignores.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim
from tinygrad_edu.data import DataLoader, TensorDataset, datasets, load_mnist
from tinygrad_edu.optim.lr_scheduler import CosineAnnealingLR


class TwoLayerNet(nn.Module):
    def __init__(self, inputs: int, hidden: int, outputs: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc2 = nn.Linear(hidden, outputs)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        hidden: tg.Tensor = F.relu(self.fc1(x))  # calling a Module returns Any, as in PyTorch
        out: tg.Tensor = self.fc2(hidden)
        return out


def accuracy(model: nn.Module, x: npt.NDArray[np.float32], t: npt.NDArray[np.int64]) -> float:
    model.eval()
    with tg.no_grad():
        logits: tg.Tensor = model(tg.tensor(x))
    model.train()
    predicted = logits.numpy().argmax(axis=1)
    return float((predicted == t).mean())


def main() -> None:
    tg.manual_seed(0)
    tg.set_num_threads(1)
    threads: int = tg.get_num_threads()
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    gradient: tg.Tensor | None = x.grad
    shape: tuple[int, ...] = x.shape
    value: float | int | bool = y.item()
    print(threads, gradient, shape, value, x.detach().numpy().dtype)

    (x_train, t_train), (x_test, t_test) = load_mnist(dataset="embedded")
    model = TwoLayerNet(784, 50, 10)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = CosineAnnealingLR(optimizer, T_max=10)
    loader = DataLoader(TensorDataset(tg.tensor(x_train[:500]), tg.tensor(t_train[:500])), batch_size=100,
                        shuffle=True)
    for images, labels in loader:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(accuracy(model, x_test, t_test))

    adam = optim.Adam(model.parameters(), lr=1e-3, convention="book")
    tg.save({"model": model.state_dict(), "optimizer": adam.state_dict()}, "checkpoint.npz")
    checkpoint = tg.load("checkpoint.npz")
    model.load_state_dict(checkpoint["model"])
    adam.load_state_dict(checkpoint["optimizer"])

    subset = datasets.EmbeddedFashionMNIST(train=False, flatten=True)
    image, label = subset[0]
    sequential = nn.Sequential(nn.Linear(784, 10), nn.Softmax(dim=-1))
    probabilities = sequential(image.reshape(1, 784))
    print(probabilities.sum().item(), label.item(), len(subset))
    ok: bool = tg.gradcheck(lambda t: (t * t).sum(), [tg.randn(3, dtype=np.float64, requires_grad=True)])
    print(ok)


if __name__ == "__main__":
    main()
