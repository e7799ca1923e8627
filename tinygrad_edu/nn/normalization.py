"""BatchNorm1d and BatchNorm2d: per-channel normalisation over the batch, running statistics for eval.

Layer L5. The module owns the learnable scale/shift (weight, bias) and the buffers
running_mean, running_var and num_batches_tracked; the arithmetic is
tinygrad_edu.functional.batch_norm (one fused node in training). BatchNorm2d normalises each
channel of (N, C, H, W) over N, H and W. Conventions are PyTorch's: running_var starts at 1
and tracks the unbiased batch variance, running = (1 - momentum) running + momentum batch,
and momentum=None means a cumulative average. The book's layer differs (running_var starts at 0,
biased variance, momentum 0.9 on the old value): docs/nn.md shows both side by side.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from .._dtypes import get_default_dtype
from ..device import check_device
from .._tensor import Tensor
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class BatchNormNd(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias for each of C channels (axis 1) of the input.

    Training mode normalises with the batch statistics (biased variance) and updates the running
    ones; eval mode normalises with the running statistics. With track_running_stats=False
    there are no buffers and the batch statistics are used in both modes.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        check_device(device)
        if num_features <= 0:
            raise ValueError(f"{type(self).__name__} needs num_features > 0, got {num_features}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:  # bias=False keeps the scale, drops the shift (torch has it too)
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean back to 0, running variance to 1, batch count to 0."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight (gamma) to 1 and bias (beta) to 0."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def _check_input_dim(self, input: Tensor) -> None:
        raise TypeError(f"{type(self).__name__} is abstract: use BatchNorm1d or BatchNorm2d")

    def forward(self, input: Tensor) -> Tensor:
        """Normalise input of shape (N, C, ...) per channel C.

        In training mode with batch statistics (and the running statistics updated); in eval mode
        with the running statistics when they are tracked.
        """
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got input of shape {input.shape}: "
                             f"axis 1 must have {self.num_features} features")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1  # a buffer, not a gradient: updating in place is safe
            if self.momentum is None:  # cumulative moving average of all batches so far
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or self.running_mean is None
        # Eval without running stats (track_running_stats=False) falls back to batch statistics.
        running_mean = self.running_mean.data if self.running_mean is not None else None
        running_var = self.running_var.data if self.running_var is not None else None
        return F.batch_norm(input, running_mean, running_var, self.weight, self.bias, use_batch_stats, momentum,
                            self.eps)

    def extra_repr(self) -> str:
        """The constructor arguments shown by repr()."""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(BatchNormNd):
    """Batch normalisation of (N, C) or (N, C, L) input, per feature C (over N, and L)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input): BatchNorm1d expected 2D (N, C) or "
                             f"3D (N, C, L) input, got shape {input.shape}")


class BatchNorm2d(BatchNormNd):
    """Batch normalisation of (N, C, H, W) input, per channel C (over N, H and W)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input): BatchNorm2d takes (N, C, H, W), got "
                             f"shape {input.shape}")
