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

    python examples/ch05/two_layer_net.py [--quick] [--convention book|pytorch] [--dataset ...]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.functional as F  # noqa: E402
from ch04.two_layer_net import SIZES, WEIGHT_INIT_STD, check_gradients, train_two_layer_net  # noqa: E402
from common.experiment import load_images, parse_args, record_result  # noqa: E402
from common.figures import plot_accuracy, save_figure  # noqa: E402
from common.nets import mlp  # noqa: E402

BOOK_CHECK = {"0.weight": 1.8e-6, "0.bias": 2.4e-5, "2.weight": 6.2e-9, "2.bias": 1.4e-7}
BOOK = "train 0.9779 / test 0.9690 after 10 000 iterations (MNIST; epoch 1: 0.905/0.905)"


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    images = load_images(args)
    x_train, t_train = images.train
    print("gradient check (first 3 training images, float64), book's W1 b1 W2 b2: "
          + ", ".join(f"{value:.1e}" for value in BOOK_CHECK.values()))
    differences = check_gradients(x_train, t_train, "relu", args.quick)
    # The library's checker swaps the parameters for float64 copies, compares randomly chosen
    # elements, and also reports the elements it skipped because they sit on ReLU's kink.
    library_check = tg.check_module(mlp(SIZES, "relu", init=WEIGHT_INIT_STD), [tg.tensor(x_train[:3])],
                                    loss_fn=lambda scores: F.cross_entropy(scores, t_train[:3]),
                                    max_elements=20 if args.quick else 200)
    print(library_check.table())
    history = train_two_layer_net(images, "relu", args)  # chapter 4's experiment, now with ReLU
    final = f"train {history.accuracy['train'][-1]:.4f} / test {history.accuracy['test'][-1]:.4f}"
    print(f"final {final}   book: {BOOK}")
    if not args.quick:
        save_figure(lambda: plot_accuracy(history.accuracy["train"], history.accuracy["test"],
                                          f"784-50-10 ReLU, backprop, SGD lr 0.1 ({args.convention})"),
                    f"ch5_two_layer_net_{args.convention}", args)
    check = ", ".join(f"{value:.1e}" for value in differences.values())
    record_result("ch5 gradient check (mean |numerical - backprop|: W1 b1 W2 b2)", check,
                  ", ".join(f"{value:.1e}" for value in BOOK_CHECK.values()), f"first 3 images of {images.label}",
                  args)
    record_result(f"ch5 two-layer net, ReLU ({args.convention})", f"{final} after {len(history.loss)} iterations",
                  BOOK, images.label, args)
    return {"history": history, "gradient_check": differences, "check_module": library_check, "images": images}


if __name__ == "__main__":
    main()
