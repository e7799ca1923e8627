"""Chapter 7.6: what SimpleConvNet's first layer learned: its 30 filters, and what they see in an image.

The book's ch07/visualize_filter.py draws the 30 first-layer 5x5 filters as grey images before
training (random noise: N(0, 0.01^2)) and after (edge and blob detectors: smooth light-dark
transitions); apply_filter.py convolves an image with learned filters and shows the responses
(the book's figure 7-25). Here both come from one model: "before" is SimpleConvNet built with the
same seed as simple_convnet.py's run, "after" its trained weights from runs/ch07/simple_convnet.npz.
The responses are F.conv2d(image, filters): an edge filter lights up along the edges of its
orientation. Figures: docs/results/ch7_filters.png and ch7_filter_responses.png.
Numbers: how smooth the filters are (the mean correlation of neighbouring weights, ~0 for noise,
clearly positive for learned edge and blob detectors).

    python examples/ch07/simple_convnet.py          # first: trains and saves the checkpoint
    python examples/ch07/filters.py [--checkpoint runs/ch07/simple_convnet.npz] [--quick]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.functional as F  # noqa: E402
from ch07.simple_convnet import CHECKPOINT, simple_conv_net  # noqa: E402
from common.experiment import load_images, parse_args, record_result, trained_checkpoint  # noqa: E402
from common.figures import save_figure  # noqa: E402

IMAGE_INDEX = 0  # which test image the filters are applied to
SHOWN_RESPONSES = 16


def neighbour_correlation(filters: np.ndarray) -> float:
    """Mean correlation between horizontally and vertically adjacent weights of each filter."""
    values = []
    for kernel in filters.reshape(-1, *filters.shape[-2:]):
        for a, b in ((kernel[:, :-1], kernel[:, 1:]), (kernel[:-1, :], kernel[1:, :])):
            values.append(np.corrcoef(a.ravel(), b.ravel())[0, 1])
    return float(np.nanmean(values))


def filter_responses(image: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """What each filter sees in one (C, H, W) image: F.conv2d in float64, one (OH, OW) map per filter."""
    with tg.no_grad():
        return F.conv2d(tg.tensor(image[None], dtype=np.float64), tg.tensor(filters, dtype=np.float64)).numpy()[0]


def plot_filters(before: np.ndarray, after: np.ndarray):
    """The book's figure 7-24: each filter as a 5x5 grey image, before and after training."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(6, 10, figsize=(10, 6.4))
    for row, (title, filters) in enumerate((("before training", before), ("after training", after))):
        for index, ax in enumerate(axes[3 * row:3 * row + 3].flat):
            ax.imshow(filters[index, 0], cmap="gray_r", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[3 * row, 0].set_title(title, loc="left", fontsize=10)
    fig.suptitle("SimpleConvNet: the 30 first-layer filters (5x5)")
    fig.tight_layout()
    return fig


def plot_responses(image: np.ndarray, filters: np.ndarray, responses: np.ndarray):
    """The book's figure 7-25: one image, then filters and what each of them responds to."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 9, figsize=(12, 5.6))
    axes[0, 0].imshow(image[0], cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[1:, 0]:
        ax.axis("off")
    cells = [ax for row in axes for ax in row[1:]]
    for index in range(min(SHOWN_RESPONSES, len(filters))):
        kernel_ax, response_ax = cells[2 * index], cells[2 * index + 1]
        kernel_ax.imshow(filters[index, 0], cmap="gray_r", interpolation="nearest")
        kernel_ax.set_title(f"filter {index}", fontsize=8)
        response_ax.imshow(responses[index], cmap="gray_r")
        response_ax.set_title("response", fontsize=8)
    fig.suptitle("Learned first-layer filters applied to a test image (F.conv2d)")
    fig.tight_layout()
    return fig


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=str(CHECKPOINT), help="simple_convnet.py's trained weights")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, add_flags, conventions=False)
    checkpoint = trained_checkpoint(args.checkpoint, "examples/ch07/simple_convnet.py")
    tg.manual_seed(args.seed)  # the seed simple_convnet.py used: the same initial weights
    before = simple_conv_net()[0].weight.detach().numpy().copy()
    trained = simple_conv_net()
    trained.load_state_dict(tg.load(checkpoint))
    after = trained[0].weight.detach().numpy().astype(np.float64)
    smooth = {"before": neighbour_correlation(before), "after": neighbour_correlation(after)}
    print(f"neighbouring weights' correlation: before training {smooth['before']:+.3f}, "
          f"after {smooth['after']:+.3f}")

    images = load_images(args, flatten=False)
    image = images.test[0][IMAGE_INDEX]
    responses = filter_responses(image, after)
    print(f"responses of the {len(after)} filters to test image {IMAGE_INDEX}: shape {responses.shape}")
    if not args.quick:
        save_figure(lambda: plot_filters(before, after), "ch7_filters", args)
        save_figure(lambda: plot_responses(image, after, responses), "ch7_filter_responses", args)
    record_result("ch7 first-layer filters", f"neighbour correlation {smooth['before']:+.2f} before training, "
                  f"{smooth['after']:+.2f} after", "noise before training; edge and blob detectors after (figure)",
                  f"test image {IMAGE_INDEX} of {images.label}", args)
    return {"before": before, "after": after, "smoothness": smooth, "responses": responses}


if __name__ == "__main__":
    main()
