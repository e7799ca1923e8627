"""Plumbing shared by the experiments in examples/ch04 ... examples/ch08 (the book's common/).

- experiment.py: the command line every example takes, the images (an `Images` record), the
  row each experiment adds to docs/results/results.json.
- training.py: the one training loop (`train`, `Learner`, `Schedule`, `History`), minibatches,
  accuracy, the progress bar, the book's gradient_check.
- nets.py: the one net builder (`mlp`), the book's weight scales (`init_weights_`), the book-form
  BatchNorm and Dropout layers, the book's L2 penalty.
- figures.py: saving a figure (matplotlib optional), the accuracy plot, the book's smoothing.

Each experiment file puts examples/ on sys.path and imports from here, as the book's scripts do
with `sys.path.append(os.pardir)`; everything here uses only tinygrad_edu's public API.
"""
