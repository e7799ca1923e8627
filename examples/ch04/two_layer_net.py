"""Chapter 4.5: the two-layer net (784-50-10, sigmoid) trained by minibatch SGD on real images.

The book's train_neuralnet.py: weights N(0, 0.01^2), zero biases, softmax cross-entropy, SGD with
lr 0.1 on minibatches of 100 for 10 000 iterations, train and test accuracy every "epoch"
(N / 100 iterations). The book computes the gradient with numerical differentiation (slow) or its
hand-written TwoLayerNet.gradient; here it is loss.backward(), and the numerical gradient is used
the way it should be: to check backprop, on the first 3 training images, in float64 (mean
|numerical - backprop| per parameter). The book's MNIST run ends at train 0.9471 / test 0.9465
with the two curves rising together; Fashion-MNIST is harder, so expect lower numbers.
Figure: accuracy per epoch (docs/results/ch4_two_layer_net.png).

--convention book: minibatches drawn with replacement, float64 weights. pytorch (default): a
shuffled DataLoader, float32.

    python examples/ch04/two_layer_net.py [--quick] [--convention book|pytorch] [--dataset ...]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.functional as F  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import Images, load_images, parse_args, record_result  # noqa: E402
from common.figures import plot_accuracy, save_figure  # noqa: E402
from common.nets import mlp  # noqa: E402
from common.training import (History, Learner, Schedule, gradient_check, minibatches, parameter_dtype,  # noqa: E402
                             train)

SIZES = [784, 50, 10]
WEIGHT_INIT_STD = 0.01
ITERATIONS = 10_000
BATCH_SIZE = 100
LEARNING_RATE = 0.1
BOOK = "train 0.9471 / test 0.9465 after 10 000 iterations (MNIST; first points 0.099/0.096, 0.789/0.795)"


def check_gradients(x: np.ndarray, t: np.ndarray, activation: str, quick: bool) -> dict[str, float]:
    """The book's gradient_check.py: mean |numerical - backprop| per parameter of a fresh float64
    net on the first 3 images (all elements; 30 per parameter with --quick)."""
    net = mlp(SIZES, activation, init=WEIGHT_INIT_STD).double()
    inputs = tg.tensor(x[:3], dtype=np.float64)
    differences = gradient_check(net, lambda: F.cross_entropy(net(inputs), t[:3]), max_elements=30 if quick else None)
    for name, difference in differences.items():
        print(f"  {name:9s} mean |numerical - backprop| = {difference:.3e}")
    return differences


def train_two_layer_net(images: Images, activation: str, args: argparse.Namespace) -> History:
    """The book's train_neuralnet.py: SGD on minibatches, accuracy on both whole sets every epoch."""
    (x_train, t_train), (x_test, t_test) = images.train, images.test
    iterations = 200 if args.quick else ITERATIONS
    per_epoch = 100 if args.quick else max(len(x_train) // BATCH_SIZE, 1)
    net = mlp(SIZES, activation, init=WEIGHT_INIT_STD)
    if args.convention == "book":
        net.double()
    learner = Learner(net, optim.SGD(net.parameters(), lr=LEARNING_RATE))
    print(f"784-50-10 {activation}, SGD lr {LEARNING_RATE}, batch {BATCH_SIZE}, {iterations} iterations, "
          f"{args.convention} convention")
    train([learner], minibatches(x_train, t_train, BATCH_SIZE, args.convention, parameter_dtype(net)),
          Schedule(iterations, per_epoch), {"train": (x_train, t_train), "test": (x_test, t_test)},
          progress=not args.quick)
    return learner.history


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    images = load_images(args)
    print("gradient check (first 3 training images, float64):")
    differences = check_gradients(*images.train, "sigmoid", args.quick)
    history = train_two_layer_net(images, "sigmoid", args)
    final = f"train {history.accuracy['train'][-1]:.4f} / test {history.accuracy['test'][-1]:.4f}"
    print(f"final {final}   book: {BOOK}")
    if not args.quick:
        save_figure(lambda: plot_accuracy(history.accuracy["train"], history.accuracy["test"],
                                          f"784-50-10 sigmoid, SGD lr 0.1 ({args.convention})"),
                    f"ch4_two_layer_net_{args.convention}", args)
    record_result(f"ch4 two-layer net, sigmoid ({args.convention})",
                  f"{final} after {len(history.loss)} iterations", BOOK, images.label, args)
    return {"history": history, "gradient_check": differences, "images": images}


if __name__ == "__main__":
    main()
