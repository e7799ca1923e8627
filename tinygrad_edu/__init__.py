"""tinygrad_edu: a small, fast, honest autograd framework on NumPy.

`import tinygrad_edu as tg`: Tensor and its factories, autograd (backward, grad, no_grad,
Function), the numerical checker, functional (as tg.functional / F), and PyTorch's top-level
names (dtypes such as tg.float32, devices, tg.sin/tg.matmul/..., tg.utils.data), so PyTorch code
runs with only its import line changed (docs/pytorch.md). Explicit imports only: importing the
package has no side effects. See README.md and docs/architecture.md.
"""
from . import autograd, data, functional, nn, optim, return_types, utils, viz
from ._dtypes import get_default_dtype, set_default_dtype
from ._threads import get_num_threads, set_num_threads
from ._grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import Function, grad
from .autograd import functional as _autograd_functional  # noqa: F401  (binds tg.autograd.functional, as in torch)
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace,
                       ones, ones_like, rand, rand_like, randint, randint_like, randn, randn_like, tensor, zeros,
                       zeros_like)
from .device import accelerator, backends, cuda, device
from .dtype_names import double, float16, float32, float64, half, int8, int16, int32, int64, long, short, uint8
from .forward_trace import trace_forward
from .gradcheck import GradcheckError, check_module, gradcheck, gradgradcheck, numerical_gradient
from .random import Generator, manual_seed
from .serialization import load, save
from ._tensor import Tensor, cat, stack, where
from .tensor_functions import (add, allclose, amax, amin, argmax, argmin, bmm, broadcast_to, chunk, clamp, clip,
                               clone, cos, detach, div, divide, eq, equal, exp, flatten, gather, ge, gt,
                               index_select, is_floating_point, isfinite, isinf, isnan, le, log, log_softmax,
                               logsumexp, lt, masked_fill, matmul, maximum, mean, minimum, mm, movedim, mul,
                               multiply, nan_to_num, ne, neg, negative, numel, permute, relu, reshape, scatter_add,
                               sigmoid, sin, softmax, split, sqrt, square, squeeze, std, sub, subtract, swapaxes,
                               swapdims, t, tanh, transpose, unsqueeze, var)
from .trace import trace_backward

# PyTorch's names that shadow Python's built-ins: attributes (tg.sum, tg.float) re-exported explicitly,
# kept out of __all__ so that `from tinygrad_edu import *` leaves the built-ins alone.
from .dtype_names import bool as bool, float as float, int as int  # noqa: E402, I001
from .tensor_functions import (abs as abs, all as all, any as any, max as max, min as min,  # noqa: E402
                               pow as pow, sum as sum)

__version__ = "0.1.0"

__all__ = [
    "check_module", "data", "load", "save",
    "Function", "GradcheckError", "Tensor", "arange", "autograd", "cat", "enable_grad", "eye", "from_numpy", "full",
    "functional", "get_default_dtype", "get_num_threads", "grad", "gradcheck", "gradgradcheck", "inference_mode",
    "is_grad_enabled", "manual_seed", "nn", "no_grad", "numerical_gradient", "ones", "ones_like", "optim", "rand",
    "randint", "randn", "return_types", "set_default_dtype", "set_grad_enabled", "set_num_threads", "stack", "tensor",
    "trace_backward", "trace_forward", "viz", "where", "zeros", "zeros_like",
    # factories, devices and dtypes under PyTorch's names (docs/pytorch.md)
    "Generator", "accelerator", "as_tensor", "backends", "cuda", "device", "empty", "empty_like", "full_like",
    "linspace", "logspace", "rand_like", "randint_like", "randn_like", "utils",
    "double", "float16", "float32", "float64", "half", "int8", "int16", "int32", "int64",
    "long", "short", "uint8",
    # Tensor methods as functions (tensor_functions.py)
    "add", "allclose", "amax", "amin", "argmax", "argmin", "bmm", "broadcast_to", "chunk",
    "clamp", "clip", "clone", "cos", "detach", "div", "divide", "eq", "equal", "exp", "flatten", "gather", "ge", "gt",
    "index_select", "is_floating_point", "isfinite", "isinf", "isnan", "le", "log", "log_softmax", "logsumexp", "lt",
    "masked_fill", "matmul", "maximum", "mean", "minimum", "mm", "movedim", "mul", "multiply",
    "nan_to_num", "ne", "neg", "negative", "numel", "permute", "relu", "reshape", "scatter_add", "sigmoid",
    "sin", "softmax", "split", "sqrt", "square", "squeeze", "std", "sub", "subtract", "swapaxes", "swapdims", "t",
    "tanh", "transpose", "unsqueeze", "var",
]
