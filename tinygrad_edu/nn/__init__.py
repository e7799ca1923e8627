"""tinygrad_edu.nn: modules, layers, losses, initialisation and gradient clipping, as torch.nn.

Layer L5, above tensor and functional. `import tinygrad_edu.nn as nn` gives nn.Module,
nn.Parameter, the layers (nn.Linear, nn.ReLU, nn.BatchNorm1d, nn.Dropout, nn.Sequential, ...),
the losses (nn.CrossEntropyLoss, ...), nn.init, nn.utils and nn.functional (an alias of
tinygrad_edu.functional). See docs/nn.md.
"""
from . import functional, init, utils
from .layers import (Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sequential, Sigmoid, Softmax,
                     Tanh)
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter
from .normalization import BatchNorm1d

__all__ = [
    "BCEWithLogitsLoss", "BatchNorm1d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "LeakyReLU", "Linear",
    "LogSoftmax", "MSELoss", "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init", "utils",
]
