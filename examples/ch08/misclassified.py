"""Chapter 8.1.2: the test images DeepConvNet gets wrong, with what it said and what they are.

The book's ch08/misclassified_mnist.py loads the trained DeepConvNet, classifies the test set and
shows the first 20 misclassified images, each with its predicted and true label: mistakes a
person could make too (a 4 that looks like a 9). Here the weights come from deep_convnet.py's
checkpoint; on Fashion-MNIST the mistakes are mostly between shirts, T-shirts, pullovers and
coats. Prints the accuracy and the most frequent (true, predicted) confusions.
Figure: docs/results/ch8_misclassified.png.

    python examples/ch08/deep_convnet.py            # first: trains and saves the checkpoint
    python examples/ch08/misclassified.py [--checkpoint runs/ch08/deep_convnet.npz] [--test-images N]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
from ch08.deep_convnet import CHECKPOINT, deep_conv_net  # noqa: E402
from common.experiment import Images, load_images, parse_args, record_result, trained_checkpoint  # noqa: E402
from common.figures import save_figure  # noqa: E402
from tinygrad_edu.data import datasets  # noqa: E402

SHOWN = 20


def predict(model, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """The class with the highest score for every image (eval mode: no Dropout)."""
    model.eval()
    with tg.no_grad():
        return np.concatenate([model(tg.tensor(x[start:start + batch_size])).numpy().argmax(axis=1)
                               for start in range(0, len(x), batch_size)])


def plot(images: np.ndarray, predicted: np.ndarray, labels: np.ndarray, classes: list[str]):
    """The book's grid: each wrong image with "predicted / true" above it."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 5, figsize=(9, 8.2))
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, guess, truth in zip(axes.flat, images, predicted, labels):
        ax.imshow(image[0], cmap="gray_r")
        ax.set_title(f"{classes[guess]}\n(true: {classes[truth]})", fontsize=8, color="C3")
    fig.suptitle("DeepConvNet's misclassified test images: predicted (true)")
    fig.tight_layout()
    return fig


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=str(CHECKPOINT), help="deep_convnet.py's trained weights")
    parser.add_argument("--test-images", type=int, default=None, help="classify the first N test images only")


def class_names(images: Images) -> list[str]:
    """The 10 class names: MNIST's digits, or the clothing names every Fashion-MNIST set shares."""
    if images.dataset == "mnist":
        return [str(digit) for digit in range(10)]
    return datasets.EmbeddedFashionMNIST(train=False).classes


def find_mistakes(model, x_test: np.ndarray, t_test: np.ndarray, classes: list[str]) -> dict:
    """Classify x_test; print how many are wrong and the most frequent (true -> predicted) confusions.

    Returns the indices of the wrong images, every prediction, the accuracy and the three most
    frequent confusions as ((true, predicted), count) pairs.
    """
    predicted = predict(model, x_test.astype(model[0].weight.dtype))
    wrong = np.flatnonzero(predicted != t_test)
    accuracy = 1.0 - len(wrong) / len(t_test)
    confusions = Counter((classes[t_test[i]], classes[predicted[i]]) for i in wrong).most_common(3)
    print(f"{len(wrong)} of {len(t_test)} test images misclassified (accuracy {accuracy:.4f})")
    print("most frequent mistakes (true -> predicted): "
          + ", ".join(f"{true} -> {guess} ({n})" for (true, guess), n in confusions))
    return {"wrong": wrong, "predicted": predicted, "accuracy": accuracy, "confusions": confusions}


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, add_flags, conventions=False)
    checkpoint = trained_checkpoint(args.checkpoint, "examples/ch08/deep_convnet.py")
    model = deep_conv_net()
    model.load_state_dict(tg.load(checkpoint))
    images = load_images(args, flatten=False)
    count = 200 if args.quick else args.test_images
    x_test, t_test = (images.test[0][:count], images.test[1][:count]) if count else images.test
    classes = class_names(images)
    mistakes = find_mistakes(model, x_test, t_test, classes)
    wrong, predicted, confusions = mistakes["wrong"], mistakes["predicted"], mistakes["confusions"]
    shown = wrong[:SHOWN]
    if not args.quick:
        save_figure(lambda: plot(x_test[shown], predicted[shown], t_test[shown], classes), "ch8_misclassified", args)
    record_result("ch8 misclassified test images", f"{len(wrong)} of {len(t_test)} wrong; most often "
                  + ", ".join(f"{true} -> {guess}" for (true, guess), _ in confusions[:2]),
                  "a few dozen of 10 000 (MNIST digits a person could misread too)",
                  f"{len(t_test)} test images of {images.label}", args)
    return mistakes


if __name__ == "__main__":
    main()
