"""Conv1d and Conv2d: the book's Convolution layer with PyTorch's parameters, init and state_dict keys.

Layer L5. weight has shape (out_channels, in_channels / groups, *kernel_size) and bias
(out_channels,), exactly torch.nn.Conv2d's layout, so state dicts copy across both ways.
Initialisation is PyTorch's default: kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in),
1/sqrt(fan_in)) with fan_in = in_channels / groups * kh * kw, and the bias from the same range.
The book draws N(0, 0.01^2) instead (`nn.init.normal_(conv.weight, std=0.01)`). padding_mode
other than 'zeros' pads with functional.pad first. See docs/convolution.md.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as F
from .._dtypes import get_default_dtype
from ..spatial import pair
from .._tensor import Tensor
from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class ConvNd(Module):
    """What Conv1d and Conv2d share: argument checks, parameters, init and repr."""

    dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"in_channels must be divisible by groups, got in_channels={in_channels}, "
                             f"groups={groups}")
        if out_channels % groups:
            raise ValueError(f"out_channels must be divisible by groups, got out_channels={out_channels}, "
                             f"groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode={padding_mode!r}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of ('valid', 'same')")
            if padding == "same" and stride not in (1, (1,) * self.dims):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = self._tuple(kernel_size, "kernel_size", 1)
        self.stride = self._tuple(stride, "stride", 1)
        self.padding = padding if isinstance(padding, str) else self._tuple(padding, "padding", 0)
        self.dilation = self._tuple(dilation, "dilation", 1)
        self.groups, self.padding_mode = groups, padding_mode
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, *self.kernel_size), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _tuple(self, value: Any, name: str, minimum: int) -> tuple[int, ...]:
        if self.dims == 2:
            return pair(value, name, minimum)
        values = (value,) if isinstance(value, int | np.integer) else tuple(value)
        if len(values) != 1:
            raise TypeError(f"{type(self).__name__}: {name} must be an int or a 1-tuple, got {value!r}")
        return pair(values * 2, name, minimum)[:1]

    def reset_parameters(self) -> None:
        """PyTorch's default init: kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fan_in), ...) for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _padded(self, input: Tensor) -> tuple[Tensor, Any]:
        """The input padded by padding_mode (if not zeros) and the padding left for the convolution."""
        padding = self.padding
        if self.padding_mode == "zeros" or padding == "valid":
            return input, padding
        if isinstance(padding, str):  # "same": the odd one out goes to the end, as for zero padding
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            sizes = [size for total in reversed(totals) for size in (total // 2, total - total // 2)]
        else:
            sizes = [p for p in reversed(padding) for _ in (0, 1)]
        return F.pad(input, tuple(sizes), mode=self.padding_mode), 0

    def extra_repr(self) -> str:
        """The constructor arguments that differ from the defaults, as torch.nn.Conv2d's repr shows them."""
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0,) * self.dims, "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(ConvNd):
    """2-D convolution (cross-correlation) of (N, C_in, H, W) input: the book's Convolution layer."""

    dims = 2

    def forward(self, input: Tensor) -> Tensor:
        """(N, C_in, H, W) -> (N, C_out, OH, OW), or unbatched (C_in, H, W) -> (C_out, OH, OW)."""
        input, padding = self._padded(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(ConvNd):
    """1-D convolution (cross-correlation) of (N, C_in, L) input."""

    dims = 1

    def forward(self, input: Tensor) -> Tensor:
        """(N, C_in, L) -> (N, C_out, OL), or unbatched (C_in, L) -> (C_out, OL)."""
        input, padding = self._padded(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
