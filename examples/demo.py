"""The first demo: a two-layer net learns the 3-class spiral with tinygrad_edu's core autograd.

Run `make demo`. Everything here is the core API: tensors, operators, backward(), no_grad().
"""
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.functional as F


def spiral(points_per_class: int = 100, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        radius = np.linspace(0.0, 1.0, points_per_class)
        angle = np.linspace(c * 4.0, (c + 1) * 4.0, points_per_class) + rng.normal(0, 0.2, points_per_class)
        xs.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        ys.append(np.full(points_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def main(epochs: int = 300, lr: float = 1.0, hidden: int = 32) -> float:
    tg.manual_seed(0)
    x_np, y = spiral()
    x = tg.tensor(x_np)
    w1 = (tg.randn(hidden, 2) * 1.0).requires_grad_()
    b1 = tg.zeros(hidden, requires_grad=True)
    w2 = (tg.randn(3, hidden) * 0.1).requires_grad_()
    b2 = tg.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]
    for epoch in range(1, epochs + 1):
        logits = F.linear(F.linear(x, w1, b1).relu(), w2, b2)
        loss = F.cross_entropy(logits, y)
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p.data -= lr * p.grad.data
        if epoch % 50 == 0 or epoch == 1:
            accuracy = float((logits.argmax(1).numpy() == y).mean())
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}  train accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
