"""Chapter 6.3: checking backprop through Batch Normalization against numerical differentiation.

The book's check: a 784-100-100-10 ReLU net with BatchNorm after each hidden Linear (He init),
softmax cross-entropy on the first training image(s); for every parameter, the mean absolute
difference between backprop's gradient (here `loss.backward()`, then `param.grad`) and central
differences (the book's `network.numerical_gradient`, here perturbing `param.data` in place).

Why not the book's batch of 1: with N = 1 the batch mean is the sample itself, so x - mean = 0,
the variance is 0, and BatchNorm outputs exactly beta whatever its input. The loss then does not
depend on any parameter before the first BatchNorm: backprop and numerical differences both give
exactly 0 for them, an agreement that proves nothing. The next ReLU sees beta = 0, its kink, where
backprop's choice of slope (0) and central differences (1/2) disagree: that is the book's lone
nonzero difference (beta2, 0.056). The framework's BatchNorm refuses N = 1 in training, as
PyTorch does; `degenerate_batch()` shows the arithmetic. With N = 2 each normalised unit is
exactly +-sqrt(var / (var + eps)) ~ +-1, still nearly independent of the input, so the default
batch here is 10 images.

The check runs in float64 with h = 1e-6 on `--elements` randomly chosen entries of each
parameter ("all" checks every entry: ~90 000 entries, a few minutes).

    python examples/ch06/batch_norm_gradient_check.py [--batch-size 10] [--elements 300|all]
        [--convention book|pytorch] [--quick] [--dataset ...]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/, for common/

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
from common.experiment import load_images, parse_args, record_result  # noqa: E402
from common.nets import mlp  # noqa: E402

STEP = 1e-6
BOOK_DIFFERENCES = "N=1: all 0.0 except beta2 0.0563 (ReLU kink) and b3 1.8e-7"


def degenerate_batch(features: int = 5) -> dict[str, float]:
    """With one sample, (x - mean) / sqrt(var + eps) is exactly 0 and has zero gradient."""
    x = tg.randn(1, features, dtype=np.float64, requires_grad=True)
    centred = x - x.mean(0, keepdims=True)
    normalised = centred / ((centred * centred).mean(0, keepdims=True) + 1e-6).sqrt()
    (normalised * tg.randn(1, features, dtype=np.float64)).sum().backward()
    return {"max_abs_output": float(np.abs(normalised.detach().numpy()).max()),
            "max_abs_grad": float(np.abs(x.grad.numpy()).max())}


def check_parameter(model: nn.Module, loss_of_model, param: nn.Parameter, elements: int | None,
                    rng: np.random.Generator) -> dict[str, float]:
    """Backprop vs central differences on chosen entries of one parameter (all when elements is None)."""
    flat = param.data.reshape(-1)
    chosen = np.arange(flat.size) if elements is None or elements >= flat.size else \
        rng.choice(flat.size, size=elements, replace=False)
    backprop = param.grad.numpy().reshape(-1)[chosen]
    numerical = np.empty(len(chosen))
    with tg.no_grad():
        for k, index in enumerate(chosen):
            original = flat[index]
            flat[index] = original + STEP
            upper = loss_of_model()
            flat[index] = original - STEP
            lower = loss_of_model()
            flat[index] = original
            numerical[k] = (upper - lower) / (2 * STEP)
    difference = np.abs(backprop - numerical)
    scale = np.maximum(np.abs(backprop) + np.abs(numerical), 1e-12)
    return {"mean_abs_diff": float(difference.mean()), "max_abs_diff": float(difference.max()),
            "max_rel_diff": float((difference / scale).max()), "max_abs_grad": float(np.abs(backprop).max()),
            "checked": int(len(chosen))}


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__, argv, extra=lambda parser: (
        parser.add_argument("--batch-size", type=int, default=10, help="images in the batch (at least 2)"),
        parser.add_argument("--elements", default="300", help="entries checked per parameter, or 'all'")))
    if args.batch_size < 2:
        raise SystemExit(f"--batch-size {args.batch_size}: BatchNorm needs at least 2 samples: with one, "
                         "x - mean = 0 and BatchNorm outputs beta whatever its input, so there is nothing to "
                         "check (--help explains)")
    tg.manual_seed(args.seed)
    images = load_images(args)
    x_train, t_train = images.train
    x = tg.from_numpy(x_train[:args.batch_size].astype(np.float64))
    t = t_train[:args.batch_size]
    elements = None if args.elements == "all" else (20 if args.quick else int(args.elements))

    model = mlp([784, 100, 100, 10], init="he", batch_norm=True, convention=args.convention, dtype=np.float64)
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(model(x), t)
    loss.backward()  # the book's network.gradient(x, t)

    def loss_of_model() -> float:
        return loss_fn(model(x), t).item()

    print(f"batch of {args.batch_size}, {args.convention} convention, float64, h = {STEP}, "
          f"{'all' if elements is None else elements} entries per parameter")
    degenerate = degenerate_batch()
    print(f"batch of 1: BatchNorm's normalised output max |x_hat| = {degenerate['max_abs_output']}, "
          f"its gradient max = {degenerate['max_abs_grad']} (both exactly 0: nothing to check)")
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    results = {}
    for name, param in model.named_parameters():
        results[name] = check_parameter(model, loss_of_model, param, elements, rng)
        r = results[name]
        print(f"  {name:10s} mean |diff| {r['mean_abs_diff']:.2e}  max |diff| {r['max_abs_diff']:.2e}  "
              f"max |grad| {r['max_abs_grad']:.2e}  ({r['checked']} entries)")
    worst = max(r["max_abs_diff"] for r in results.values())
    print(f"largest difference {worst:.2e} ({time.perf_counter() - start:.1f} s)")
    # The same check in one call of the library's tool (it draws its own entries to check).
    library = tg.check_module(model, [x], loss_fn=lambda logits: loss_fn(logits, t), max_elements=elements,
                              raise_exception=False)
    print(f"tg.check_module on the same model: {'passed' if library.passed else 'FAILED'}")
    record_result(f"ch6 BatchNorm gradient check ({args.convention})",
                  f"N={args.batch_size}: max |backprop - numerical| {worst:.1e} over all parameters",
                  BOOK_DIFFERENCES, images.label, args)
    return {"parameters": results, "max_abs_diff": worst, "degenerate_batch_of_one": degenerate,
            "check_module_passed": library.passed}


if __name__ == "__main__":
    main()
