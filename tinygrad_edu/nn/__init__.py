"""tinygrad_edu.nn: modules, layers, losses, initialisation and gradient clipping, as torch.nn.

Layer L5, above tensor and functional. `import tinygrad_edu.nn as nn` gives nn.Module,
nn.Parameter, the layers (nn.Linear, nn.ReLU, nn.Conv2d, nn.MaxPool2d, nn.BatchNorm1d/2d,
nn.Dropout, nn.Sequential, ...), the losses (nn.CrossEntropyLoss, ...), nn.init, nn.utils and
nn.functional (an alias of tinygrad_edu.functional). See docs/nn.md and docs/convolution.md.
"""
from . import functional, init, utils
from .conv import Conv1d, Conv2d
from .layers import (Dropout, Dropout2d, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sequential, Sigmoid,
                     Softmax, Tanh, Unflatten)
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool2d", "BatchNorm2d", "Conv1d", "Conv2d", "Dropout2d",
    "MaxPool2d", "Unflatten",
    "BCEWithLogitsLoss", "BatchNorm1d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "LeakyReLU", "Linear",
    "LogSoftmax", "MSELoss", "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init", "utils",
]
