"""The training pieces the chapter 4-6 examples share: the book's loop, written with the PyTorch API.

minibatches is the book's sampling (with replacement) or a shuffled DataLoader;
train_classifier is train_neuralnet.py (iterations, accuracy every "epoch");
train_epochs is the plain PyTorch epoch loop (make demo, fashion_mlp); gradient_check is the
book's gradient_check.py (mean |numerical - backprop| per parameter); two_layer_net is the
book's TwoLayerNet as nn.Sequential. Above the library (public API only) beside
examples/common.py, which owns flags, data, figures and the results table. See docs/chapter4.md.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

import tinygrad_edu as tg
from common import CONVENTIONS, ProgressBar, evaluate_accuracy, parameter_dtype


def minibatches(x: np.ndarray, t: np.ndarray, batch_size: int, convention: str,
                dtype: np.dtype | None = None) -> Iterator[tuple[tg.Tensor, tg.Tensor]]:
    """An endless stream of (images, labels) minibatches.

    "book": every batch is batch_size indices drawn *with replacement* (the book's
    np.random.choice), so an "epoch" is just N / batch_size iterations. "pytorch": a shuffled
    DataLoader over a TensorDataset, epoch after epoch, every image once per epoch. Both draw from
    tinygrad_edu's generator, so manual_seed makes the stream reproducible. Images are cast to
    dtype (the model's; see parameter_dtype) when given.
    """
    from tinygrad_edu.data import DataLoader, TensorDataset
    from tinygrad_edu.random import generator

    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if convention == "book":
        while True:
            index = generator().choice(len(x), batch_size)
            yield tg.tensor(x[index], dtype=dtype), tg.tensor(t[index])
    loader = DataLoader(TensorDataset(x, t), batch_size=batch_size, shuffle=True)
    while True:
        for images, labels in loader:
            yield (images if dtype is None or images.dtype == dtype else images.to(dtype)), labels


def train_classifier(model, optimizer, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], *,
                     iterations: int, batch_size: int, convention: str, eval_every: int, quick: bool = False,
                     loss_fn: Callable[[tg.Tensor, tg.Tensor], tg.Tensor] | None = None) -> dict[str, list]:
    """The book's training loop (train_neuralnet.py) as a PyTorch loop; returns the curves.

    Each iteration: zero_grad(), loss_fn(model(x), t).backward(), step(). Every eval_every
    iterations (the book's "epoch", N / batch_size) and at the end, train and test accuracy on
    the whole sets are measured with evaluate_accuracy and printed; a progress bar shows the
    loss in between.
    """
    import tinygrad_edu.functional as F

    loss_fn = loss_fn or F.cross_entropy
    history: dict[str, list] = {"iteration": [], "train_accuracy": [], "test_accuracy": [], "loss": []}
    stream = minibatches(*train, batch_size, convention, parameter_dtype(model))
    bar = ProgressBar(eval_every, "epoch 1", enabled=not quick)
    epoch_losses: list[float] = []
    model.train()
    for iteration in range(1, iterations + 1):
        x, t = next(stream)
        optimizer.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
        epoch_losses.append(loss.item())
        history["loss"].append(epoch_losses[-1])
        bar.update(loss=epoch_losses[-1])
        if iteration % eval_every == 0 or iteration == iterations:
            bar.close()
            train_accuracy = evaluate_accuracy(model, *train)
            test_accuracy = evaluate_accuracy(model, *test)
            history["iteration"].append(iteration)
            history["train_accuracy"].append(train_accuracy)
            history["test_accuracy"].append(test_accuracy)
            print(f"epoch {len(history['iteration']):3d} (iteration {iteration:5d})  loss {np.mean(epoch_losses):.4f}  "
                  f"train accuracy {train_accuracy:.4f}  test accuracy {test_accuracy:.4f}")
            epoch_losses = []
            bar = ProgressBar(eval_every, f"epoch {len(history['iteration']) + 1}", enabled=not quick)
    bar.close()
    return history


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


def two_layer_net(activation: str, hidden_size: int = 50, weight_init_std: float = 0.01, input_size: int = 784,
                  output_size: int = 10):
    """The book's TwoLayerNet as nn.Sequential: Linear -> sigmoid (ch. 4) or ReLU (ch. 5) -> Linear.

    Weights are drawn from N(0, weight_init_std^2) and biases start at 0, as in the book; the
    softmax lives in the loss (F.cross_entropy), as the book's SoftmaxWithLoss. nn.Linear stores
    its weight as (out, in), the transpose of the book's W1 (in, out).
    """
    import tinygrad_edu.nn as nn

    activations = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}
    if activation not in activations:
        raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
    net = nn.Sequential(nn.Linear(input_size, hidden_size), activations[activation](),
                        nn.Linear(hidden_size, output_size))
    for layer in (net[0], net[2]):
        nn.init.normal_(layer.weight, std=weight_init_std)
        nn.init.zeros_(layer.bias)
    return net


def train_epochs(model, optimizer, loader, train_set: tuple[np.ndarray, np.ndarray],
                 test_set: tuple[np.ndarray, np.ndarray], epochs: int, *, quick: bool = False,
                 scheduler=None) -> dict[str, list[float]]:
    """The PyTorch loop over a DataLoader, epoch by epoch, with train/test accuracy after each epoch.

    Returns the curves: every minibatch loss, and train/test accuracy per epoch (evaluate_accuracy
    on the whole sets). The progress bar shows the running loss and minibatch accuracy; a
    scheduler, if given, steps once per epoch.
    """
    import tinygrad_edu.nn as nn

    loss_fn = nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for epoch in range(1, epochs + 1):
        model.train()
        bar = ProgressBar(len(loader), f"epoch {epoch}/{epochs}", enabled=not quick)
        correct = seen = 0
        for x, t in loader:
            optimizer.zero_grad()
            scores = model(x)
            loss = loss_fn(scores, t)
            loss.backward()
            optimizer.step()
            history["loss"].append(loss.item())
            correct += int((scores.detach().numpy().argmax(axis=1) == t.numpy()).sum())
            seen += len(t)
            bar.update(loss=history["loss"][-1], accuracy=correct / seen)
        bar.close()
        if scheduler is not None:
            scheduler.step()
        history["train_accuracy"].append(evaluate_accuracy(model, *train_set))
        history["test_accuracy"].append(evaluate_accuracy(model, *test_set))
        recent = np.mean(history["loss"][-len(loader):])
        print(f"epoch {epoch:2d}/{epochs}  loss {recent:.4f}  train accuracy {history['train_accuracy'][-1]:.4f}  "
              f"test accuracy {history['test_accuracy'][-1]:.4f}", flush=True)
    return history
