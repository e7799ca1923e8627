"""Chapter 8.3.4: inference in half precision: float16 weights and inputs keep the accuracy.

The book's ch08/half_float_network.py loads the trained DeepConvNet, measures the test accuracy
with float64 weights, then casts every weight and the images to float16 and measures again: the
accuracy does not change (0.9935 both, on MNIST), the book's point that inference needs few bits.
Here: model.to(np.float16) and float16 inputs against the float32 model, on the same test
images, plus how many predictions changed. NumPy has no fast float16 matrix product (it converts
element by element), so float16 inference is ~50x slower than float32 here; --test-images picks
how many test images (default 1000; the book uses all 10 000).

    python examples/ch08/deep_convnet.py            # first: trains and saves the checkpoint
    python examples/ch08/half_float.py [--checkpoint runs/ch08/deep_convnet.npz] [--test-images 1000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
from ch08.deep_convnet import CHECKPOINT, deep_conv_net  # noqa: E402
from ch08.misclassified import predict  # noqa: E402
from common.experiment import load_images, parse_args, record_result, trained_checkpoint  # noqa: E402

TEST_IMAGES = 1000
BOOK = "0.9935 in float64 and 0.9935 in float16 (MNIST, all 10 000 test images)"


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=str(CHECKPOINT), help="deep_convnet.py's trained weights")
    parser.add_argument("--test-images", type=int, default=TEST_IMAGES,
                        help=f"how many test images (default {TEST_IMAGES}; float16 is slow in NumPy)")


def accuracy_by_dtype(state: dict, x_test: np.ndarray, t_test: np.ndarray,
                      dtypes: tuple = (np.float32, np.float16)) -> dict[str, dict]:
    """DeepConvNet with the weights `state`, weights and images cast to each dtype in turn.

    Prints and returns, per dtype name, the predictions, the test accuracy, the seconds taken and
    how many predictions differ from the first dtype's.
    """
    reference = np.dtype(dtypes[0]).name
    results: dict[str, dict] = {}
    for dtype in dtypes:
        model = deep_conv_net()
        model.load_state_dict(state)
        model.to(dtype)  # every weight and bias cast; the inputs are cast below
        started = time.perf_counter()
        predicted = predict(model, x_test.astype(dtype))
        seconds = time.perf_counter() - started
        name = np.dtype(dtype).name
        changed = 0 if name == reference else int((predicted != results[reference]["predicted"]).sum())
        results[name] = {"predicted": predicted, "accuracy": float((predicted == t_test).mean()), "seconds": seconds,
                         "changed": changed}
        print(f"{name}: test accuracy {results[name]['accuracy']:.4f} on {len(t_test)} images ({seconds:.1f} s)"
              + (f"; {changed} predictions differ from {reference}'s" if name != reference else ""))
    return results


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, add_flags, conventions=False)
    checkpoint = trained_checkpoint(args.checkpoint, "examples/ch08/deep_convnet.py")
    images = load_images(args, flatten=False)
    count = 20 if args.quick else args.test_images
    x_test, t_test = images.test[0][:count], images.test[1][:count]
    results = accuracy_by_dtype(tg.load(checkpoint), x_test, t_test)
    changed = results["float16"]["changed"]
    record_result("ch8 float16 inference", f"float32 {results['float32']['accuracy']:.4f}, float16 "
                  f"{results['float16']['accuracy']:.4f} ({changed} of {len(t_test)} predictions changed)",
                  BOOK, f"first {len(t_test)} test images of {images.label}", args)
    return {"accuracy": {name: r["accuracy"] for name, r in results.items()}, "changed": changed}


if __name__ == "__main__":
    main()
