"""The Fashion-MNIST authors' MLP benchmark: 784-256-128-100-10 ReLU, trained with Adam.

Fashion-MNIST's authors published 0.8833 test accuracy for an MLP with hidden layers 256-128-100
and no preprocessing beyond scaling pixels to [0, 1]. This example trains that architecture with
the PyTorch recipe one would write first: nn.Linear's default initialisation, Adam (lr 0.001),
minibatches of 128 from a shuffled DataLoader, the learning rate annealed to 0 over the run with
CosineAnnealingLR, a few epochs. The number reported is the test accuracy after the last epoch
(never the best epoch: choosing that would tune on the test set). Figure: accuracy per epoch
(docs/results/fashion_mlp.png).

    python examples/fashion_mlp.py [--epochs N] [--quick] [--dataset ...]
"""
from __future__ import annotations

import os

# One BLAS thread: minibatch matrices are small, and on a busy 2-core machine OpenBLAS's second
# thread spins instead of helping (10-20x slower steps measured). Set before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import load_images, parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402
from common.nets import mlp  # noqa: E402
from common.training import History, Learner, Schedule, minibatches, train  # noqa: E402

SIZES = [784, 256, 128, 100, 10]
EPOCHS = 15
BATCH_SIZE = 128
LEARNING_RATE = 0.001
PUBLISHED = 0.8833


def fashion_mlp() -> nn.Sequential:
    """784 -> 256 -> 128 -> 100 -> 10 with ReLU in between and nn.Linear's default init."""
    return mlp(SIZES, "relu", init=None)


def plot(history: History, epochs: int, data_name: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.arange(1, epochs + 1)
    ax.plot(x, history.accuracy["train"], "o-", label="train")
    ax.plot(x, history.accuracy["test"], "s--", label="test")
    ax.axhline(PUBLISHED, color="gray", linestyle=":", label=f"published MLP {PUBLISHED}")
    ax.set(xlabel="epoch", ylabel="accuracy", title=f"784-256-128-100-10 ReLU, Adam | {data_name}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def add_flags(parser) -> None:
    parser.add_argument("--epochs", type=int, default=EPOCHS)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, add_flags, conventions=False)
    tg.manual_seed(args.seed)
    images = load_images(args)
    (x_train, t_train), (x_test, t_test) = images.train, images.test
    epochs = 1 if args.quick else args.epochs
    if args.quick:
        x_train, t_train = x_train[:1000], t_train[:1000]
    model = fashion_mlp()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    learner = Learner(model, optimizer, scheduler=optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs))
    per_epoch = math.ceil(len(x_train) / BATCH_SIZE)  # the last batch of an epoch may be smaller
    print(f"784-256-128-100-10 ReLU, Adam lr {LEARNING_RATE} (cosine to 0), batch {BATCH_SIZE}, {epochs} epochs")
    train([learner], minibatches(x_train, t_train, BATCH_SIZE, "pytorch"), Schedule(epochs * per_epoch, per_epoch),
          {"train": (x_train, t_train), "test": (x_test, t_test)}, progress=not args.quick)
    history = learner.history
    final = history.accuracy["test"][-1]
    print(f"final test accuracy {final:.4f}   published 256-128-100 MLP: {PUBLISHED}")
    if not args.quick:
        save_figure(lambda: plot(history, epochs, images.name), "fashion_mlp", args)
    record_result("Fashion-MNIST MLP 784-256-128-100-10 (Adam)", f"test {final:.4f} after {epochs} epochs",
                  f"{PUBLISHED} (Fashion-MNIST authors' benchmark)", images.label, args)
    return {"history": history, "test_accuracy": final, "images": images}


if __name__ == "__main__":
    main()
