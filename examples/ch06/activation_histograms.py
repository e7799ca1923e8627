"""Chapter 6.2: how the weight scale shapes the activations of a deep net (the book's histograms).

A batch of 1000 points drawn from N(0, 1) goes through 5 layers of 100 units, no bias, each layer
`activation(x @ W)` with W ~ N(0, std^2). For std = 1, 0.01, "Xavier" sqrt(1/n) and He sqrt(2/n)
and for sigmoid, tanh and ReLU we record every layer's output: its standard deviation, the share
of sigmoid/tanh outputs that are saturated (|output| within 0.05 of the limits) and the share of
ReLU outputs that are exactly 0. Figures: one 4 x 5 grid of histograms per activation
(docs/results/ch6_activation_histograms_<activation>.png). Only Tensor ops are used, under
no_grad, in float64 like the book. See docs/chapter6.md.

    python examples/ch06/activation_histograms.py [--quick] [--seed 0]
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
from common.experiment import parse_args, record_result  # noqa: E402
from common.figures import save_figure  # noqa: E402

LAYERS = 5
UNITS = 100
SAMPLES = 1000
# The book's "Xavier" is sqrt(1/n) (LeCun-style), not Glorot's sqrt(2/(n_in + n_out)).
INITS = {"std 1": lambda n: 1.0, "std 0.01": lambda n: 0.01,
         "Xavier sqrt(1/n)": lambda n: math.sqrt(1.0 / n), "He sqrt(2/n)": lambda n: math.sqrt(2.0 / n)}
ACTIVATIONS = ("sigmoid", "tanh", "relu")
HISTOGRAM_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 1.0)}


def layer_outputs(init: str, activation: str, samples: int = SAMPLES) -> list[np.ndarray]:
    """Each layer's output for one init and activation, drawn from the library generator."""
    x = tg.randn(samples, UNITS, dtype=np.float64)
    outputs = []
    with tg.no_grad():
        for _ in range(LAYERS):
            weight = tg.randn(UNITS, UNITS, dtype=np.float64) * INITS[init](UNITS)
            x = getattr(x @ weight, activation)()
            outputs.append(x.numpy())
    return outputs


def layer_statistics(outputs: list[np.ndarray], activation: str) -> dict[str, list[float]]:
    """Per-layer std and the share of outputs that carry (almost) no gradient."""
    stats: dict[str, list[float]] = {"std": [float(out.std()) for out in outputs]}
    if activation == "sigmoid":
        stats["saturated"] = [float(np.mean((out < 0.05) | (out > 0.95))) for out in outputs]
    elif activation == "tanh":
        stats["saturated"] = [float(np.mean(np.abs(out) > 0.95)) for out in outputs]
    else:
        stats["zero"] = [float(np.mean(out == 0.0)) for out in outputs]
    return stats


def plot(activation: str, outputs_by_init: dict[str, list[np.ndarray]]):
    """One row of 5 layer histograms per init, the book's 30 bins over the activation's range."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(outputs_by_init), LAYERS, figsize=(13, 2.3 * len(outputs_by_init)),
                             sharex=True, squeeze=False)
    for row, (init, outputs) in enumerate(outputs_by_init.items()):
        for layer, out in enumerate(outputs):
            ax = axes[row, layer]
            ax.hist(out.ravel(), bins=30, range=HISTOGRAM_RANGE[activation], color="C0")
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{layer + 1}-layer")
            if layer == 0:
                ax.set_ylabel(init, fontsize=9)
            ax.text(0.97, 0.9, f"std {out.std():.3g}", transform=ax.transAxes, ha="right", fontsize=8,
                    bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0})
    fig.suptitle(f"{activation}: activations of 5 layers x 100 units, input N(0,1) 1000 x 100")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, images=False, conventions=False)
    tg.manual_seed(args.seed)
    results: dict = {}
    for activation in ACTIVATIONS:
        outputs_by_init = {init: layer_outputs(init, activation) for init in INITS}
        results[activation] = {init: layer_statistics(outputs, activation) for init, outputs in outputs_by_init.items()}
        print(f"\n{activation}: per-layer std of the outputs")
        for init, stats in results[activation].items():
            extra = next(key for key in stats if key != "std")
            print(f"  {init:17s} std " + " ".join(f"{s:8.3g}" for s in stats["std"])
                  + f"   {extra} " + " ".join(f"{s:5.2f}" for s in stats[extra]))
        if not args.quick:
            save_figure(lambda: plot(activation, outputs_by_init), f"ch6_activation_histograms_{activation}",
                        args)
    relu = results["relu"]
    shrink = [b / a for a, b in zip(relu["std 0.01"]["std"], relu["std 0.01"]["std"][1:])]
    he, xavier = relu["He sqrt(2/n)"]["std"], relu["Xavier sqrt(1/n)"]["std"]
    saturated = results["sigmoid"]["std 1"]["saturated"]
    summary = (f"ReLU std layer 1->5: He {he[0]:.2f}->{he[-1]:.2f}, Xavier {xavier[0]:.2f}->{xavier[-1]:.2f}, "
               f"0.01 x{np.mean(shrink):.3f}/layer; sigmoid std 1 saturated {min(saturated):.0%}-{max(saturated):.0%}")
    print("\n" + summary)
    record_result("ch6 activation histograms", summary,
                  "ReLU He ~0.82->1.0 flat, Xavier 0.58->0.18, 0.01 x0.07/layer; sigmoid std 1: 64-77% saturated",
                  "synthetic N(0,1) input (no images)", args)
    return results


if __name__ == "__main__":
    main()
