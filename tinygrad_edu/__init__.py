"""tinygrad_edu: a small, fast, honest autograd framework on NumPy.

`import tinygrad_edu as tg`: Tensor and its factories, autograd (backward, grad, no_grad,
Function), the numerical checker, functional (as tg.functional / F). Explicit imports only:
importing the package has no side effects. See README.md and docs/architecture.md.
"""
from . import autograd, data, functional, nn, optim, viz
from ._dtypes import get_default_dtype, set_default_dtype
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import Function, grad
from .autograd import functional as _autograd_functional  # binds tg.autograd.functional, as in torch
from .creation import (arange, eye, from_numpy, full, ones, ones_like, rand, randint, randn, tensor, zeros,
                       zeros_like)
from .gradcheck import GradcheckError, check_module, gradcheck, gradgradcheck, numerical_gradient
from .random import manual_seed
from .serialization import load, save
from .tensor import Tensor, cat, stack, where
from .forward_trace import trace_forward
from .trace import trace_backward

__version__ = "0.1.0"

__all__ = [
    "check_module", "data", "load", "save",
    "Function", "GradcheckError", "Tensor", "arange", "autograd", "cat", "enable_grad", "eye", "from_numpy", "full",
    "functional", "get_default_dtype", "grad", "gradcheck", "gradgradcheck", "is_grad_enabled", "manual_seed",
    "nn", "no_grad", "numerical_gradient", "ones", "ones_like", "optim", "rand", "randint", "randn",
    "set_default_dtype", "set_grad_enabled", "stack", "tensor", "trace_backward", "trace_forward", "viz", "where",
    "zeros", "zeros_like",
]
