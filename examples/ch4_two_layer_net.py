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

    python examples/ch4_two_layer_net.py [--quick] [--convention book|pytorch] [--dataset ...]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.functional as F  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common import load_images, parse_args, record_result, save_figure  # noqa: E402
from training import gradient_check, train_classifier, two_layer_net  # noqa: E402

ITERATIONS = 10_000
BATCH_SIZE = 100
LEARNING_RATE = 0.1
BOOK = "train 0.9471 / test 0.9465 after 10 000 iterations (MNIST; first points 0.099/0.096, 0.789/0.795)"


def plot_accuracy(history: dict, title: str):
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["iteration"]) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, history["train_accuracy"], marker="o", markersize=3, label="train acc")
    ax.plot(epochs, history["test_accuracy"], "--", label="test acc")
    ax.set(xlabel="epochs", ylabel="accuracy", ylim=(0, 1.0), title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def check_backprop(x: np.ndarray, t: np.ndarray, activation: str, max_elements: int | None) -> dict[str, float]:
    """Mean |numerical - backprop| per parameter of a fresh float64 net on 3 images (gradient_check.py)."""
    net = two_layer_net(activation).double()
    inputs, labels = tg.tensor(x[:3], dtype=np.float64), t[:3]
    differences = gradient_check(net, lambda: F.cross_entropy(net(inputs), labels), max_elements=max_elements)
    for name, difference in differences.items():
        print(f"  {name:9s} mean |numerical - backprop| = {difference:.3e}")
    return differences


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    (x_train, t_train), (x_test, t_test), source = load_images(args)
    print("gradient check (first 3 training images, float64):")
    differences = check_backprop(x_train, t_train, "sigmoid", 30 if args.quick else None)
    iterations = 200 if args.quick else ITERATIONS
    eval_every = 100 if args.quick else max(len(x_train) // BATCH_SIZE, 1)
    net = two_layer_net("sigmoid")
    if args.convention == "book":
        net.double()
    optimizer = optim.SGD(net.parameters(), lr=LEARNING_RATE)
    print(f"784-50-10 sigmoid, SGD lr {LEARNING_RATE}, batch {BATCH_SIZE}, {iterations} iterations, "
          f"{args.convention} convention")
    history = train_classifier(net, optimizer, (x_train, t_train), (x_test, t_test), iterations=iterations,
                               batch_size=BATCH_SIZE, convention=args.convention, eval_every=eval_every,
                               quick=args.quick)
    final = f"train {history['train_accuracy'][-1]:.4f} / test {history['test_accuracy'][-1]:.4f}"
    print(f"final {final}   book: {BOOK}")
    if not args.quick:
        save_figure(lambda: plot_accuracy(history, f"784-50-10 sigmoid, SGD lr 0.1 ({args.convention})"),
                    f"ch4_two_layer_net_{args.convention}", args)
    record_result(f"ch4 two-layer net, sigmoid ({args.convention})", f"{final} after {iterations} iterations",
                  BOOK, source, args)
    return {"history": history, "gradient_check": differences, "source": source}


if __name__ == "__main__":
    main()
