"""What every example shares: command line, image data, figures, the results table, progress, accuracy.

Each examples/*.py file is one experiment from "Deep Learning from Scratch" ch. 4-6. They all take
the same flags (parse_args), load the same real images (load_images: never fake data), draw their
figures with matplotlib only when it is installed (save_figure), and add one row to
docs/results/results.json (record_result), which examples/run_book.py turns into
docs/results/README.md. ProgressBar and evaluate_accuracy are the two pieces of a PyTorch-style
training loop that the library itself leaves to the user; minibatches, train_classifier and
gradient_check are the book's training loop and gradient_check.py written with the PyTorch API.

This file sits above the library (it imports only tinygrad_edu's public API) and is not part of
the installed package. See docs/chapter4.md for how the examples are organised.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_edu as tg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = ROOT / "docs" / "results"
RESULTS_FILE = "results.json"
CONVENTIONS = ("pytorch", "book")
DATASETS = ("auto", "fashion-mnist", "mnist", "embedded")
PLOT_HINT = ("matplotlib is not installed, so no figure was written; the numbers above are complete. "
             "For the figures: pip install 'tinygrad_edu[plot]' (make demo and make book install it).")


def parse_args(description: str | None, argv: list[str] | None = None,
               extra: Callable[[argparse.ArgumentParser], None] | None = None, *, images: bool = True,
               conventions: bool = True) -> argparse.Namespace:
    """The flags every example understands; `extra(parser)` may add the example's own.

    images=False drops --dataset/--data-dir (the experiment uses no images); conventions=False
    drops --convention (nothing differs between the book and PyTorch). The attributes exist either
    way with their defaults, so shared code can read them. args.started is the start time that
    record_result uses to report how long the run took.
    """
    lines = (description or "").strip().splitlines()
    parser = argparse.ArgumentParser(description=lines[0] if lines else None,
                                     epilog="\n".join(lines[1:]).strip() or None,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a run of a couple of seconds (used by the tests)")
    if conventions:
        parser.add_argument("--convention", choices=CONVENTIONS, default="pytorch",
                            help="the book's exact formulas or PyTorch's (default: pytorch)")
    if images:
        parser.add_argument("--dataset", choices=DATASETS, default="auto",
                            help="auto: full Fashion-MNIST when its files are found, else the embedded subset")
        parser.add_argument("--data-dir", default=None, help="directory holding the IDX files (.gz or raw)")
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT_DIR), help="where figures and results.json go")
    parser.add_argument("--seed", type=int, default=0, help="seed for tinygrad_edu.manual_seed")
    parser.set_defaults(convention="pytorch", dataset="auto", data_dir=None)
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    args.started = time.perf_counter()
    return args


_IMAGE_CACHE: dict[tuple, tuple] = {}


def load_images(args: argparse.Namespace, *, normalize: bool = True, flatten: bool = True,
                one_hot_label: bool = False) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], str]:
    """((x_train, t_train), (x_test, t_test), source) from tinygrad_edu.data.load_mnist, in the book's shapes.

    source is the loader's one-line description (name, where from, sizes); it is printed here so
    every run says which data it used. In --quick mode "auto" means the embedded subset, so the
    tests see the same images on every machine. The arrays are cached per process (run_book runs
    every example in one process) and read-only: copy before changing them in place.
    """
    from tinygrad_edu.data import load_mnist

    dataset = args.dataset
    if args.quick and dataset == "auto":
        dataset = "embedded"
    key = (dataset, args.data_dir, normalize, flatten, one_hot_label)
    if key not in _IMAGE_CACHE:
        train, test, source = load_mnist(normalize=normalize, flatten=flatten, one_hot_label=one_hot_label,
                                         dataset=dataset, root=args.data_dir, return_source=True)
        for array in (*train, *test):
            array.flags.writeable = False
        _IMAGE_CACHE[key] = (train, test, source)
    train, test, source = _IMAGE_CACHE[key]
    print(f"data: {source}")
    return train, test, source


def _out_dir(out: argparse.Namespace | str | Path) -> Path:
    return Path(out.out_dir if isinstance(out, argparse.Namespace) else out)


def save_figure(draw: Callable[[], Any], name: str, out: argparse.Namespace | str | Path) -> Path | None:
    """Call draw() (it builds and returns a matplotlib Figure) and save it as <out_dir>/<name>.png.

    matplotlib is imported here, lazily, with the Agg backend (no display needed). Without it the
    example still runs; this prints how to get the figures and returns None.
    """
    try:
        import matplotlib
    except ImportError:
        print(PLOT_HINT)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = draw()
    if figure is None:
        figure = plt.gcf()
    path = _out_dir(out) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")
    return path


def record_result(experiment: str, ours: str, book: str, dataset: str, out: argparse.Namespace | str | Path,
                  seconds: float | None = None) -> dict:
    """Merge one row into <out_dir>/results.json (keyed by experiment) and return it.

    out is the example's args (out_dir, quick, started) or a directory. seconds defaults to the time
    since parse_args. A --quick run prints the row but writes nothing: its numbers are not results.
    """
    if seconds is None:
        started = getattr(out, "started", None)
        seconds = time.perf_counter() - started if started is not None else float("nan")
    row = {"experiment": experiment, "ours": str(ours), "book": str(book), "dataset": str(dataset),
           "seconds": round(float(seconds), 1)}
    print(f"result: {experiment}: ours {row['ours']} | book {row['book']} | {row['dataset']} | {row['seconds']} s")
    if getattr(out, "quick", False):
        return row
    path = _out_dir(out) / RESULTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(path.read_text()) if path.exists() else {}
    rows[experiment] = row
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(rows, indent=1) + "\n")  # insertion order: the order of the runs
    temporary.replace(path)
    return row


class ProgressBar:
    """A one-line progress bar with the latest metrics, e.g. `epoch 1 [#####-----] 300/600 loss 0.512`.

    Drawn only on a terminal and outside --quick mode (logs and tests stay clean); otherwise every
    call is a no-op and the caller prints its own per-epoch lines.
    """

    def __init__(self, total: int, label: str = "", enabled: bool = True, width: int = 30) -> None:
        self.total, self.label, self.width, self.count = max(int(total), 1), label, width, 0
        self.enabled = enabled and sys.stdout.isatty()
        self._last_draw = 0.0

    def update(self, steps: int = 1, **metrics: float) -> None:
        self.count = min(self.count + steps, self.total)
        now = time.perf_counter()
        # Redrawing every step would cost more than a small net's step; 20 redraws a second suffice.
        if not self.enabled or (now - self._last_draw < 0.05 and self.count < self.total):
            return
        self._last_draw = now
        filled = self.width * self.count // self.total
        text = " ".join(f"{name} {value:.4f}" for name, value in metrics.items())
        sys.stdout.write(f"\r{self.label} [{'#' * filled}{'-' * (self.width - filled)}] "
                         f"{self.count}/{self.total} {text}")
        sys.stdout.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()


def parameter_dtype(model) -> np.dtype | None:
    """The dtype of the model's first parameter (None for a plain function).

    Inputs are cast to it batch by batch: NumPy multiplies float32 by float64 matrices without
    BLAS, tens of times slower, and the book's float32 images times float64 weights give the
    same numbers as float64 images.
    """
    parameters = getattr(model, "parameters", None)
    first = next(iter(parameters()), None) if parameters is not None else None
    return first.dtype if first is not None else None


def evaluate_accuracy(model: Callable[[tg.Tensor], tg.Tensor], x: np.ndarray, t: np.ndarray,
                      batch_size: int = 1000) -> float:
    """Fraction of rows of x whose highest score is the label t (class indices or one-hot rows).

    Runs under no_grad() and in eval() mode (BatchNorm uses running statistics, Dropout is off),
    then puts the model back in the mode it was in.
    """
    x = x.numpy() if isinstance(x, tg.Tensor) else np.asarray(x)
    t = t.numpy() if isinstance(t, tg.Tensor) else np.asarray(t)
    dtype = parameter_dtype(model) or x.dtype
    labels = t.argmax(axis=1) if t.ndim == 2 else t
    if len(x) != len(labels):
        raise ValueError(f"evaluate_accuracy: {len(x)} inputs but {len(labels)} labels")
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    correct = 0
    with tg.no_grad():
        for start in range(0, len(x), batch_size):
            scores = model(tg.tensor(x[start:start + batch_size], dtype=dtype)).numpy()
            correct += int((scores.argmax(axis=1) == labels[start:start + batch_size]).sum())
    if was_training:
        model.train()
    return correct / max(len(x), 1)


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
