"""Chapter 8.1: DeepConvNet, the book's deep network: six 3x3 convolutions, He init, Dropout.

The book's ch08/deep_convnet.py and train_deepnet.py: conv 3x3 16 (pad 1) -> ReLU -> conv 3x3 16
(pad 1) -> ReLU -> pool -> conv 3x3 32 (pad 1) -> ReLU -> conv 3x3 32 (pad 2) -> ReLU -> pool ->
conv 3x3 64 (pad 1) -> ReLU -> conv 3x3 64 (pad 1) -> ReLU -> pool -> Affine 64*4*4 -> 50 -> ReLU ->
Dropout 0.5 -> Affine 50 -> 10 -> Dropout 0.5 -> softmax cross-entropy. The fourth convolution's
pad 2 turns 14x14 into 16x16, so the pools give 8x8 and then 4x4. He init: std sqrt(2 / fan_in)
with fan_in = in_channels * 9 for a convolution, the input size for an Affine (the book's
pre_node_nums 9, 144, 144, 288, 288, 576, 1024, 50); biases 0. Adam lr 0.001, minibatches of 100,
20 epochs; the book reaches 0.9938 test accuracy on MNIST (its repository ships the weights).

The book trains 20 epochs; on a 2-core machine in NumPy an epoch takes many minutes, so the
default here is EPOCHS_DEFAULT and --epochs 20 runs the book's (each epoch prints its time). The
trained weights go to runs/ch08/deep_convnet.npz, which misclassified.py and half_float.py use.
Figure: accuracy per epoch (docs/results/ch8_deep_convnet.png).

--convention book: the book's Dropout (ch6's BookDropout: no rescaling in training, times 0.5 at
test time), the book's Adam, minibatches drawn with replacement, float64. pytorch (default):
nn.Dropout (inverted), optim.Adam, a shuffled DataLoader, float32.

    python examples/ch08/deep_convnet.py [--epochs 20] [--convention book|pytorch] [--quick] [--dataset ...]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
from ch07.simple_convnet import run_training_experiment  # noqa: E402
from common.experiment import ROOT, load_images, parse_args  # noqa: E402
from common.nets import BookDropout, init_weights_, numpy_dtype  # noqa: E402

EPOCHS_BOOK = 20
EPOCHS_DEFAULT = 1
DROPOUT = 0.5
BOOK = "test 0.9938 after 20 epochs (MNIST)"
CHECKPOINT = ROOT / "runs" / "ch08" / "deep_convnet.npz"


def deep_conv_net(convention: str = "pytorch") -> nn.Sequential:
    """The book's DeepConvNet in PyTorch's layers, He-initialised; `convention` picks the Dropout."""
    def dropout() -> nn.Module:
        return BookDropout(DROPOUT) if convention == "book" else nn.Dropout(DROPOUT)

    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),    # (16, 28, 28)
        nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),   # (16, 28, 28)
        nn.MaxPool2d(2),                              # (16, 14, 14)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),   # (32, 14, 14)
        nn.Conv2d(32, 32, 3, padding=2), nn.ReLU(),   # (32, 16, 16): the book's pad 2
        nn.MaxPool2d(2),                              # (32, 8, 8)
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),   # (64, 8, 8)
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),   # (64, 8, 8)
        nn.MaxPool2d(2),                              # (64, 4, 4)
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, 50), nn.ReLU(), dropout(),
        nn.Linear(50, 10), dropout(),                 # the book drops out the scores too
    )
    return init_weights_(net, "he")


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=EPOCHS_DEFAULT,
                        help=f"default {EPOCHS_DEFAULT} (minutes each); the book trains {EPOCHS_BOOK}")
    parser.add_argument("--train-images", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--checkpoint", default=str(CHECKPOINT), help="where the trained weights go")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, add_flags)
    tg.manual_seed(args.seed)
    images = load_images(args, flatten=False)
    epochs, train_images = (2, 100) if args.quick else (args.epochs, args.train_images)
    model = deep_conv_net(args.convention).to(numpy_dtype(args.convention))
    print(model)
    return run_training_experiment(model, "ch8 DeepConvNet", "ch8_deep_convnet",
                                   "DeepConvNet, Adam lr 0.001, batch 100", BOOK, images, epochs, train_images, args)


if __name__ == "__main__":
    main()
