"""Chapter 5.7: the two-layer net with ReLU, its backprop checked numerically, then trained.

The book's ch05 TwoLayerNet is built from Affine, Relu and SoftmaxWithLoss layers, each with a
hand-written backward; here it is nn.Sequential(Linear, ReLU, Linear) with F.cross_entropy, and
loss.backward() plays the role of TwoLayerNet.gradient. gradient_check.py compares backprop with
the numerical gradient on the first 3 training images: the mean |difference| per parameter is
tiny (the book recorded W1 1.8e-6, b1 2.4e-5, W2 6.2e-9, b2 1.4e-7 in float64; values that large
come from pre-activations within h = 1e-4 of ReLU's kink, where central differences average the
two slopes). train_neuralnet.py then trains it like chapter 4's net: SGD lr 0.1, batch 100,
10 000 iterations, weights N(0, 0.01^2). The book's MNIST run ends at train 0.9779 / test 0.9690.
The library's own checker, tinygrad_edu.check_module, runs too: its table adds the maximum
errors and how many elements it skipped because they sit on a kink.
Figure: accuracy per epoch (docs/results/ch5_two_layer_net_<convention>.png).

--convention book: minibatches drawn with replacement, float64 weights. pytorch (default): a
shuffled DataLoader, float32.

    python examples/ch5_two_layer_net.py [--quick] [--convention book|pytorch] [--dataset ...]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.functional as F  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from ch4_two_layer_net import check_backprop, plot_accuracy  # noqa: E402
from common import load_images, parse_args, record_result, save_figure  # noqa: E402
from training import train_classifier, two_layer_net  # noqa: E402

ITERATIONS = 10_000
BATCH_SIZE = 100
LEARNING_RATE = 0.1
BOOK_CHECK = {"0.weight": 1.8e-6, "0.bias": 2.4e-5, "2.weight": 6.2e-9, "2.bias": 1.4e-7}
BOOK = "train 0.9779 / test 0.9690 after 10 000 iterations (MNIST; epoch 1: 0.905/0.905)"


def library_gradient_check(x, t, max_elements: int):
    """The same comparison with the library's checker, which also reports kinks it skipped.

    tinygrad_edu.check_module swaps the parameters for float64 copies, compares up to
    max_elements randomly chosen elements per parameter, and names likely causes on failure.
    """
    net = two_layer_net("relu")
    result = tg.check_module(net, [tg.tensor(x[:3])], loss_fn=lambda scores: F.cross_entropy(scores, t[:3]),
                             max_elements=max_elements)
    print(result.table())
    return result


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    (x_train, t_train), (x_test, t_test), source = load_images(args)
    print("gradient check (first 3 training images, float64), book's W1 b1 W2 b2: "
          + ", ".join(f"{value:.1e}" for value in BOOK_CHECK.values()))
    differences = check_backprop(x_train, t_train, "relu", 30 if args.quick else None)
    library_check = library_gradient_check(x_train, t_train, 20 if args.quick else 200)
    iterations = 200 if args.quick else ITERATIONS
    eval_every = 100 if args.quick else max(len(x_train) // BATCH_SIZE, 1)
    net = two_layer_net("relu")
    if args.convention == "book":
        net.double()
    optimizer = optim.SGD(net.parameters(), lr=LEARNING_RATE)
    print(f"784-50-10 ReLU, SGD lr {LEARNING_RATE}, batch {BATCH_SIZE}, {iterations} iterations, "
          f"{args.convention} convention")
    history = train_classifier(net, optimizer, (x_train, t_train), (x_test, t_test), iterations=iterations,
                               batch_size=BATCH_SIZE, convention=args.convention, eval_every=eval_every,
                               quick=args.quick)
    final = f"train {history['train_accuracy'][-1]:.4f} / test {history['test_accuracy'][-1]:.4f}"
    print(f"final {final}   book: {BOOK}")
    if not args.quick:
        save_figure(lambda: plot_accuracy(history, f"784-50-10 ReLU, backprop, SGD lr 0.1 ({args.convention})"),
                    f"ch5_two_layer_net_{args.convention}", args)
    check = ", ".join(f"{value:.1e}" for value in differences.values())
    record_result(f"ch5 gradient check (mean |numerical - backprop|: W1 b1 W2 b2)", check,
                  ", ".join(f"{value:.1e}" for value in BOOK_CHECK.values()), f"first 3 images of {source}", args)
    record_result(f"ch5 two-layer net, ReLU ({args.convention})", f"{final} after {iterations} iterations",
                  BOOK, source, args)
    return {"history": history, "gradient_check": differences, "check_module": library_check, "source": source}


if __name__ == "__main__":
    main()
