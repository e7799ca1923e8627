"""Layers: Linear, the activations, Identity, Flatten/Unflatten, Dropout/Dropout2d and Sequential.

Layer L5. Each layer is a Module whose forward is one call into tinygrad_edu.functional (or a
Tensor method), so the math and its derivative live in one place (functional/ops) and the
layer only holds parameters and settings. Linear uses PyTorch's default initialisation and the
fused `linear` op (one graph node per layer). The repr of each layer matches PyTorch's.
See docs/nn.md.
"""
from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, overload

import numpy as np

from .. import functional as F
from .._dtypes import get_default_dtype
from ..device import check_device
from .._tensor import Tensor
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax", "LogSoftmax", "Identity", "Flatten",
           "Unflatten", "Dropout", "Dropout2d", "Sequential"]


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), PyTorch's layout.

    Initialised as torch.nn.Linear: W ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
    and b ~ U(-1/sqrt(in), 1/sqrt(in)). Re-initialise with nn.init (e.g. the book's He init:
    `nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")`).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device)
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear needs non-negative sizes, got in_features={in_features}, "
                             f"out_features={out_features}")
        self.in_features = in_features
        self.out_features = out_features
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias as PyTorch does: U(-1/sqrt(in_features), 1/sqrt(in_features))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        """y = input @ weight.T + bias, for input of shape (*, in_features)."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """max(x, 0); its gradient at exactly 0 is 0, as in PyTorch and the book's Relu layer."""

    def forward(self, input: Tensor) -> Tensor:
        """max(input, 0) elementwise."""
        return input.relu()


class Sigmoid(Module):
    """The logistic sigmoid 1 / (1 + exp(-x)) as a module, elementwise."""

    def forward(self, input: Tensor) -> Tensor:
        """1 / (1 + exp(-input)) elementwise."""
        return input.sigmoid()


class Tanh(Module):
    """The hyperbolic tangent as a module, elementwise."""

    def forward(self, input: Tensor) -> Tensor:
        """tanh(input) elementwise."""
        return input.tanh()


class LeakyReLU(Module):
    """x where x > 0, negative_slope * x elsewhere, as a module.

    Args:
        negative_slope: the slope for negative inputs (default 0.01, as in PyTorch).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        """input where positive, negative_slope * input elsewhere."""
        return input.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"negative_slope={self.negative_slope}"


def _implicit_softmax_dim(ndim: int, name: str) -> int:
    """PyTorch's legacy choice when dim is not given (deprecated there too, hence the warning)."""
    warnings.warn(f"implicit dimension choice for {name} has been deprecated; pass dim explicitly",
                  UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """softmax along `dim` as a module: exp(x) / sum(exp(x)).

    Args:
        dim: the dimension that sums to 1. Leaving it None picks one the way PyTorch's deprecated
            implicit choice does, and warns.
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """softmax of input along `dim`."""
        dim = _implicit_softmax_dim(input.ndim, "softmax") if self.dim is None else self.dim
        return input.softmax(dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along `dim` as a module, computed stably as x - logsumexp(x).

    Args:
        dim: the dimension normalised over; None picks one as Softmax does, and warns.
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """log_softmax of input along `dim`."""
        dim = _implicit_softmax_dim(input.ndim, "log_softmax") if self.dim is None else self.dim
        return input.log_softmax(dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are accepted and ignored (as in torch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        """Return the input unchanged."""
        return input


class Flatten(Module):
    """Merge dims start_dim..end_dim; the default keeps the batch axis: (N, 1, 28, 28) -> (N, 784)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        """input flattened from start_dim to end_dim (by default everything but the batch axis)."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim into unflattened_size, the inverse of Flatten: (N, 784) -> (N, 1, 28, 28) with (1, 28, 28)."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        sizes = tuple(unflattened_size)
        if not sizes or not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
            raise TypeError(f"unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, sizes

    def forward(self, input: Tensor) -> Tensor:
        """input with axis `dim` split into `unflattened_size`."""
        dim = self.dim + input.ndim if self.dim < 0 else self.dim
        if not 0 <= dim < input.ndim:
            raise IndexError(f"Unflatten: dim {self.dim} out of range for input of shape {input.shape}")
        known = math.prod(n for n in self.unflattened_size if n != -1)
        if -1 not in self.unflattened_size and known != input.shape[dim]:
            raise RuntimeError(f"unflattened_size {self.unflattened_size} must multiply to the size "
                               f"{input.shape[dim]} of dim {self.dim} of input of shape {input.shape}")
        return input.reshape(input.shape[:dim] + self.unflattened_size + input.shape[dim + 1:])

    def extra_repr(self) -> str:
        """The settings, as torch.nn.Unflatten's repr shows them."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """Inverted dropout (PyTorch's convention): in training, zero each element with probability p
    and scale the survivors by 1/(1-p); in eval, the identity. The book's Dropout instead scales
    by (1-p) at test time: same expectation, different training-time values (docs/nn.md)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if isinstance(p, bool | np.bool_) or not isinstance(p, int | float | np.integer | np.floating) \
                or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
        self.p = float(p)

    def forward(self, input: Tensor) -> Tensor:
        """In training, zero each element with probability p and scale the rest by 1/(1-p); in eval, the input."""
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Channel dropout: in training, zero whole channels of (N, C, H, W) with probability p, scale by 1/(1-p)."""

    def forward(self, input: Tensor) -> Tensor:
        """input with whole channels zeroed (training) or unchanged (eval)."""
        return F.dropout2d(input, self.p, self.training)


class Sequential(Module):
    """Modules applied one after the other; children are named "0", "1", ... (or by an OrderedDict)."""

    @overload
    def __init__(self, *args: Module) -> None: ...
    @overload
    def __init__(self, arg: OrderedDict[str, Module], /) -> None: ...
    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, input: Any) -> Any:
        """Call each module in order, feeding each one's output to the next."""
        for module in self._modules.values():
            input = module(input)
        return input

    def _key(self, index: int) -> str:
        size = len(self._modules)
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range for a Sequential of length {size}")
        return list(self._modules)[index % size]

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)[index] if isinstance(index, slice) else [self._key(index)]
        for key in keys:
            del self._modules[key]
        # Renumber so that names stay "0", "1", ... as torch does after a deletion.
        remaining = list(self._modules.values())
        self._modules.clear()
        for position, module in enumerate(remaining):
            self._modules[str(position)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add `module` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert `module` before position `index` (negative counts from the end); returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        size = len(self._modules)
        if not -size <= index <= size:
            raise IndexError(f"index {index} is out of range for inserting into a Sequential of length {size}")
        modules = list(self._modules.values())
        modules.insert(index, module)  # list.insert reads a negative index as torch does
        self._modules.clear()
        for position, item in enumerate(modules):
            self._modules[str(position)] = item
        return self

    def extend(self, modules: Any) -> Sequential:
        """Append each module of `modules` in order; returns self."""
        for module in modules:
            self.append(module)
        return self
