"""tinygrad_edu against PyTorch: the same networks, hyperparameters, initial weights and minibatches.

For each network below, both frameworks start from the same initial weights (drawn once by
tinygrad_edu, copied into torch.nn.Linear layers with load_state_dict: the state_dict keys and
the (out, in) weight layout are the same) and see the same minibatches in the same order (one
NumPy permutation per epoch). What remains different is each framework's arithmetic: forward,
backward, optimizer. So the two final test accuracies say whether tinygrad_edu trains as well
as PyTorch does with the same recipe; a gap of a few 0.001 is the chaotic drift of float32
rounding over thousands of steps (measured on the ch6 net with Adam: the two sets of weights
agree to 6e-6 relative after 50 steps and differ by a few percent after 500, as any two float32
runs with different summation orders do). So compare means over several seeds.

- two-layer net (ch. 4): 784-50-10 sigmoid, N(0, 0.01^2) weights, SGD lr 0.1, batch 100,
  10 000 iterations.
- ch6 net (make demo): 784-100x4-10 ReLU, He init, Adam lr 0.001 with cosine annealing, batch 128,
  15 epochs.
- Fashion MLP: 784-256-128-100-10 ReLU, default init, Adam lr 0.001 with cosine annealing,
  batch 128, 15 epochs (examples/fashion_mlp.py).
- SimpleConvNet (ch. 7): conv 30 5x5 - ReLU - pool - 100 - 10, N(0, 0.01^2) weights, Adam lr 0.001,
  batch 100, 20 epochs (examples/ch07/simple_convnet.py); --epochs and --train-images shorten it.
- DeepConvNet (ch. 8): six 3x3 convolutions, He init, Dropout 0.5, Adam lr 0.001, batch 100,
  20 epochs (examples/ch08/deep_convnet.py). Its Dropout masks come from each framework's own
  generator, so here the two runs share the initial weights and batches but not the masks.

Needs PyTorch (pip install torch); without it only tinygrad_edu's side runs.

    python examples/compare_torch.py [--only two-layer|ch6|fashion-mlp|simple-convnet|deep-convnet]
        [--seeds 0 1 2] [--epochs N] [--train-images N] [--quick]
"""
from __future__ import annotations

import os

# One BLAS thread: minibatch matrices are small, and on a busy 2-core machine OpenBLAS's second
# thread spins instead of helping (10-20x slower steps measured). Set before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import load_images, parse_args, record_result  # noqa: E402
from common.nets import mlp  # noqa: E402
from common.training import Learner, Schedule, evaluate_accuracy, indexed_batches, train  # noqa: E402
from ch07.simple_convnet import machine_load, simple_conv_net  # noqa: E402
from ch08.deep_convnet import deep_conv_net  # noqa: E402
from demo import EPOCHS as DEMO_EPOCHS, chapter6_net  # noqa: E402
from fashion_mlp import fashion_mlp  # noqa: E402


@dataclass(frozen=True)
class Recipe:
    name: str
    build: Callable[[], nn.Sequential]
    optimizer: str  # "sgd" or "adam"
    lr: float
    batch_size: int
    iterations: int | None = None  # else epochs x batches per epoch
    epochs: int | None = None
    cosine: bool = False
    images: bool = False  # the net reads (1, 28, 28) images, not rows of 784


RECIPES = {
    "two-layer": Recipe("two-layer net 784-50-10 sigmoid, SGD lr 0.1",
                        lambda: mlp([784, 50, 10], "sigmoid", init=0.01), "sgd", 0.1, 100, iterations=10_000),
    "ch6": Recipe("ch6 net 784-100x4-10 ReLU He, Adam lr 0.001 + cosine (make demo)", chapter6_net, "adam", 0.001,
                  128, epochs=DEMO_EPOCHS["full"], cosine=True),
    "fashion-mlp": Recipe("MLP 784-256-128-100-10 ReLU, Adam + cosine", fashion_mlp, "adam", 0.001, 128, epochs=15,
                          cosine=True),
    "simple-convnet": Recipe("SimpleConvNet (ch7), Adam lr 0.001, batch 100", simple_conv_net, "adam", 0.001, 100,
                             epochs=20, images=True),
    "deep-convnet": Recipe("DeepConvNet (ch8), Adam lr 0.001, batch 100", deep_conv_net, "adam", 0.001, 100,
                           epochs=20, images=True),
}
# PyTorch's counterpart of each layer the recipes use, built with the same arguments.
TORCH_LAYERS = {
    "Linear": lambda torch, layer: torch.nn.Linear(layer.in_features, layer.out_features),
    "Conv2d": lambda torch, layer: torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                                   layer.stride, layer.padding),
    "MaxPool2d": lambda torch, layer: torch.nn.MaxPool2d(layer.kernel_size, layer.stride),
    "Dropout": lambda torch, layer: torch.nn.Dropout(layer.p),
    "Flatten": lambda torch, layer: torch.nn.Flatten(),
    "ReLU": lambda torch, layer: torch.nn.ReLU(),
    "Sigmoid": lambda torch, layer: torch.nn.Sigmoid(),
}


def schedule(recipe: Recipe, n: int, seed: int, quick: bool) -> list[np.ndarray]:
    """The minibatch index arrays of the whole run, epoch by epoch (a fresh permutation each)."""
    per_epoch = n // recipe.batch_size  # drop the last partial batch, so every epoch has equal steps
    total = recipe.iterations if recipe.iterations is not None else recipe.epochs * per_epoch
    if quick:
        total = min(total, 30)
    rng = np.random.default_rng(seed)
    batches: list[np.ndarray] = []
    while len(batches) < total:
        order = rng.permutation(n)
        batches += [order[i * recipe.batch_size:(i + 1) * recipe.batch_size] for i in range(per_epoch)]
    return batches[:total]


def train_ours(model: nn.Sequential, recipe: Recipe, batches: list[np.ndarray], per_epoch: int,
               x: np.ndarray, t: np.ndarray) -> None:
    """tinygrad_edu's side: the examples' training loop on exactly these minibatches."""
    if recipe.optimizer == "sgd":
        optimizer = optim.SGD(model.parameters(), lr=recipe.lr)
    else:
        optimizer = optim.Adam(model.parameters(), lr=recipe.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs) if recipe.cosine else None
    train([Learner(model, optimizer, scheduler=scheduler)], indexed_batches(x, t, batches),
          Schedule(len(batches), per_epoch), log_every=0, progress=False)


def train_torch(torch, state: dict[str, np.ndarray], model_layout: nn.Sequential, recipe: Recipe,
                batches: list[np.ndarray], per_epoch: int, x: np.ndarray, t: np.ndarray):
    """The same loop in PyTorch, from the same initial weights; returns the trained torch model."""
    layers = []
    for layer in model_layout:
        if type(layer).__name__ not in TORCH_LAYERS:
            raise TypeError(f"compare_torch has no torch counterpart for {type(layer).__name__}")
        layers.append(TORCH_LAYERS[type(layer).__name__](torch, layer))
    model = torch.nn.Sequential(*layers)
    model.load_state_dict({name: torch.from_numpy(value.copy()) for name, value in state.items()})
    if recipe.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=recipe.lr)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs) if recipe.cosine else None
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs, labels = torch.from_numpy(np.array(x)), torch.from_numpy(np.array(t))  # copies: the cache is read-only
    for step, index in enumerate(batches, start=1):
        optimizer.zero_grad()
        index = torch.from_numpy(index)
        loss = loss_fn(model(inputs[index]), labels[index])
        loss.backward()
        optimizer.step()
        if scheduler is not None and step % per_epoch == 0:
            scheduler.step()
    return model


def torch_accuracy(torch, model, x: np.ndarray, t: np.ndarray, batch_size: int = 1000) -> float:
    model.eval()
    with torch.no_grad():
        scores = np.concatenate([model(torch.from_numpy(np.array(x[start:start + batch_size]))).numpy()
                                 for start in range(0, len(x), batch_size)])
    return float((scores.argmax(axis=1) == t).mean())


def add_flags(parser) -> None:
    parser.add_argument("--only", choices=sorted(RECIPES), action="append", help="run only these networks")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one run per seed (init and batch order)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs instead of each recipe's own")
    parser.add_argument("--train-images", type=int, default=None, help="train on the first N images only")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, add_flags, conventions=False)
    try:
        import torch

        torch.set_num_threads(1)  # the same one core tinygrad_edu's NumPy gets (OPENBLAS_NUM_THREADS above)
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install torch): only tinygrad_edu's side runs.")
    results: dict[str, dict] = {}
    for key in args.only or list(RECIPES):
        recipe = RECIPES[key]
        if args.epochs is not None and recipe.epochs is not None:
            recipe = dataclasses.replace(recipe, epochs=args.epochs)
        images = load_images(args, flatten=not recipe.images)
        (x_train, t_train), (x_test, t_test) = images.train, images.test
        if args.quick or args.train_images is not None:
            count = 1000 if args.quick else args.train_images
            x_train, t_train = x_train[:count], t_train[:count]
        per_epoch = len(x_train) // recipe.batch_size
        runs = []
        for seed in args.seeds:
            tg.manual_seed(seed)
            model = recipe.build()
            initial = model.state_dict()
            batches = schedule(recipe, len(x_train), seed, args.quick)
            started = time.perf_counter()
            train_ours(model, recipe, batches, per_epoch, x_train, t_train)
            run = {"seed": seed, "steps": len(batches), "ours": evaluate_accuracy(model, x_test, t_test),
                   "ours_seconds": time.perf_counter() - started}
            if torch is not None:
                torch.manual_seed(seed)
                started = time.perf_counter()
                torch_model = train_torch(torch, initial, model, recipe, batches, per_epoch, x_train, t_train)
                run.update(torch=torch_accuracy(torch, torch_model, x_test, t_test),
                           torch_seconds=time.perf_counter() - started)
            torch_part = (f", PyTorch test {run['torch']:.4f} ({run['torch_seconds']:.1f} s)"
                          if torch is not None else "")
            print(f"{recipe.name}, seed {seed}, {len(batches)} steps: tinygrad_edu test {run['ours']:.4f} "
                  f"({run['ours_seconds']:.1f} s){torch_part}", flush=True)
            runs.append(run)
        ours = float(np.mean([r["ours"] for r in runs]))
        theirs = float(np.mean([r["torch"] for r in runs])) if torch is not None else None
        results[key] = {"runs": runs, "ours": ours, "torch": theirs}
        seeds = f"mean of {len(runs)} seeds" if len(runs) > 1 else f"seed {runs[0]['seed']}"
        if torch is not None and len(runs) > 1:
            # paired by seed (same init, same batches): the spread of the differences is the noise
            differences = np.array([r["ours"] - r["torch"] for r in runs])
            error = differences.std(ddof=1) / np.sqrt(len(runs))
            results[key]["difference"] = (float(differences.mean()), float(error))
            seeds += f"; ours - PyTorch per seed {differences.mean():+.4f} +- {error:.4f} (s.e.)"
            print(f"ours - PyTorch, paired by seed: {differences.mean():+.4f} +- {error:.4f} (standard error), "
                  f"ours >= PyTorch in {int((differences >= 0).sum())} of {len(runs)} seeds")
        if recipe.images:  # the long runs: say exactly what was run and how long an epoch took
            epochs = runs[0]["steps"] / max(per_epoch, 1)
            seeds += (f"; {epochs:g} epochs on {len(x_train)} images, {runs[0]['ours_seconds'] / epochs:.0f} s/epoch"
                      + (f" (PyTorch {runs[0]['torch_seconds'] / epochs:.0f} s/epoch)" if torch is not None else "")
                      + f", {machine_load()}")
        record_result(f"vs PyTorch: {recipe.name}", f"tinygrad_edu test {ours:.4f} ({seeds})",
                      f"PyTorch {torch.__version__} test {theirs:.4f}, same init and batches" if torch is not None
                      else "PyTorch not installed", images.label, args,
                      seconds=sum(r["ours_seconds"] + r.get("torch_seconds", 0.0) for r in runs))
    return results


if __name__ == "__main__":
    main()
