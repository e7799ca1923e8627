"""Chapter 6.4.3: Dropout against overfitting on 300 images.

The book's MultiLayerNetExtend (784-100x6-10, ReLU, He init) with Dropout(0.2) after every hidden
ReLU trains on the first 300 training images with SGD lr 0.01, batch 100, for 301 epochs of 3
iterations; train and test accuracy after each epoch. The same net without Dropout runs beside it
for comparison. The book's finding: with Dropout the train/test gap narrows and train accuracy
stays below 1.0 (recorded: train 0.67, test 0.548 at the end, after a slow start).
Figure: docs/results/ch6_overfit_dropout.png.

--convention book: the book's non-inverted Dropout (common/nets.py: BookDropout: training zeroes units
and does not rescale, test time multiplies by 1 - p), batches with replacement, float64.
pytorch (default): nn.Dropout (inverted: training rescales the kept units by 1 / (1 - p), test
time is the identity), a shuffled DataLoader, float32. In both forms the test-time output is
the expected training output, but the book's layers pass on 0.8 times smaller activations, six
times over (0.8^6 = 0.26 at the logits), which slows its learning.

    python examples/ch06/overfit_dropout.py [--convention book|pytorch] [--quick] [--dataset ...]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from common.experiment import load_images, parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402
from common.nets import mlp, numpy_dtype  # noqa: E402
from common.training import Learner, Schedule, minibatches, train  # noqa: E402


SIZES = [784, *[100] * 6, 10]
TRAIN_IMAGES = 300
BATCH_SIZE = 100
EPOCHS = 301
LEARNING_RATE = 0.01
DROPOUT = (0.0, 0.2)
BOOK = {0.0: "(the weight-decay page's lambda = 0 run: train ~1.0, test far lower)",
        0.2: "final train 0.67, test 0.548"}


def plot(histories: dict[float, dict], label: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(histories), figsize=(6 * len(histories), 4.5), sharey=True, squeeze=False)
    for ax, (p, history) in zip(axes[0], histories.items()):
        ax.plot(history.accuracy["train"], marker="o", markevery=10, label="train")
        ax.plot(history.accuracy["test"], marker="s", markevery=10, label="test")
        ax.set(xlabel="epochs", ylabel="accuracy", ylim=(0, 1.0), title=f"Dropout p = {p}" if p else "no Dropout")
        ax.legend(loc="lower right")
    fig.suptitle(f"784-100x6-10 on 300 images of {label}", fontsize=10)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv)
    tg.manual_seed(args.seed)
    images = load_images(args)
    (x_all, t_all), (x_test, t_test) = images.train, images.test
    dtype = numpy_dtype(args.convention)
    train_set = (x_all[:TRAIN_IMAGES].astype(dtype), t_all[:TRAIN_IMAGES])
    test = (x_test[:1000], t_test[:1000]) if args.quick else (x_test, t_test)
    test = (test[0].astype(dtype), test[1])
    epochs = 15 if args.quick else EPOCHS
    print(f"{args.convention} convention, {epochs} epochs of {TRAIN_IMAGES // BATCH_SIZE} iterations, "
          f"test on {len(test[0])} images")
    histories, results = {}, {}
    for p in DROPOUT:
        start = time.perf_counter()
        model = mlp(SIZES, init="he", dropout=p, convention=args.convention, dtype=dtype)
        learner = Learner(model, optim.SGD(model.parameters(), lr=LEARNING_RATE))
        train([learner], minibatches(*train_set, BATCH_SIZE, args.convention),
              Schedule.epochs(epochs, TRAIN_IMAGES // BATCH_SIZE, args.convention),
              {"train": train_set, "test": test}, log_every=20, progress=False)
        history = histories[p] = learner.history
        results[p] = {"train": history.accuracy["train"][-1], "test": history.accuracy["test"][-1],
                      "max_train": max(history.accuracy["train"]), "first_loss": history.loss[0],
                      "last_loss": history.loss[-1], "seconds": time.perf_counter() - start}
        print(f"  dropout {p}: final train {results[p]['train']:.3f}, test "
              f"{results[p]['test']:.3f} (book: {BOOK[p]})")
    if not args.quick:
        name = "ch6_overfit_dropout" + ("_book" if args.convention == "book" else "")
        save_figure(lambda: plot(histories, f"{images.name}, {args.convention} convention"), name, args)
    record_result(f"ch6 overfitting + Dropout ({args.convention})",
                  "; ".join(f"p {p}: train {r['train']:.3f} test {r['test']:.3f}" for p, r in results.items()),
                  "p 0.2: final train 0.67, test 0.548 (MNIST)", images.label, args)
    return results


if __name__ == "__main__":
    main()
