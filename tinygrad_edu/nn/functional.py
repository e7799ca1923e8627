"""tinygrad_edu.nn.functional: the same functions as tinygrad_edu.functional, under torch's path.

Layer L5. PyTorch code says `import torch.nn.functional as F`; here
`import tinygrad_edu.nn.functional as F` gives exactly the objects of tinygrad_edu.functional
(the one place they are defined), so both spellings work. tests/test_nn.py checks that the two
name lists stay equal. See docs/functional.md.
"""
from ..functional import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, batch_norm,
                          binary_cross_entropy_with_logits, conv1d, conv2d, cross_entropy, dropout, dropout2d, fold,
                          leaky_relu, linear, log_softmax, max_pool2d, mse_loss, nll_loss, pad, relu, sigmoid, softmax,
                          softplus, tanh, unfold, where)

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "softplus", "softmax", "log_softmax", "linear", "dropout",
           "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy_with_logits", "batch_norm", "where",
           "conv1d", "conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d", "pad", "dropout2d"]
