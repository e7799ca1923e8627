"""The image part of functional: conv2d/conv1d, unfold/fold, pooling, pad, dropout2d (torch's names).

Layer L4, re-exported by tinygrad_edu.functional (so `F.conv2d` is this `conv2d`). Each function
checks and normalises its arguments (ints or pairs, PyTorch's error wording) and calls one
primitive of ops/conv.py or ops/pool.py, or composes Tensor ops: average pooling is a sum over
unfold's windows divided by the window size, ceil_mode pads the bottom/right first, the
adaptive pools reuse the fixed-size ones or, for uneven windows, separable averaging matrices
and gathered rows. The book's layers: Convolution = conv2d (im2col), Pooling = max_pool2d.
See docs/convolution.md.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import numpy as np

from .ops.conv import Conv2d, Fold, Pair, Unfold, output_length
from .ops.pool import MaxPool2d, tiles, window_argmax
from .ops.shape import Pad
from .random import generator
from ._tensor import Tensor

__all__ = ["conv1d", "conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d", "pad", "dropout2d"]

# torch's padding modes and the np.pad mode that reads the same values ("constant" is Pad's own)
_PAD_MODES: dict[str, Literal["reflect", "edge", "wrap"] | None] = {
    "constant": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pair(value: Any, name: str, minimum: int = 0) -> Pair:
    """An int or a pair of ints as a pair, checked to be >= minimum."""
    values = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def _batched(input: Tensor, what: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) input as is, unbatched (C, H, W) with a batch axis of 1 added."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{what}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to {what}, but got input of size: "
                           f"{list(input.shape)}")
    return (input, False) if input.ndim == 4 else (input.unsqueeze(0), True)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) input with weight (F, C/groups, kh, kw): im2col and one GEMM.

    padding is an int, a pair, 'valid' (0) or 'same' (output size = input size, stride 1 only;
    an even kernel pads one more on the bottom/right, as PyTorch).
    """
    x, unbatched = _batched(input, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight must be 4D (out_channels, in_channels/groups, kh, kw), got shape "
                           f"{weight.shape}")
    stride, dilation = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    f, c_group, kh, kw = weight.shape
    if f % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size {list(weight.shape)} instead")
    if x.shape[1] != c_group * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {c_group * groups} channels, but got {x.shape[1]} channels "
                           "instead")
    if bias is not None and tuple(bias.shape) != (f,):
        raise RuntimeError(f"conv2d: bias of shape {tuple(bias.shape)} does not match {f} output channels")
    for name, other in (("weight", weight), ("bias", bias)):
        if other is not None and other.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {x.dtype} but found {other.dtype}: conv2d's input and {name} "
                               "must have the same dtype")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of ('valid', 'same')")
        if padding == "same" and stride != (1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = (0, 0) if padding == "valid" else (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        if totals[0] % 2 or totals[1] % 2:  # the odd one out goes to the bottom/right, as PyTorch
            x = pad(x, (0, totals[1] % 2, 0, totals[0] % 2))
        padding = (totals[0] // 2, totals[1] // 2)
    padding = pair(padding, "padding")
    padded = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    spans = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if padded[0] < spans[0] or padded[1] < spans[1]:
        raise RuntimeError(f"Calculated padded input size per channel: ({padded[0]} x {padded[1]}). Kernel size: "
                           f"({spans[0]} x {spans[1]}). Kernel size can't be greater than actual input size")
    out = Conv2d.apply(x, weight, bias, stride, padding, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of (N, C, L) input with weight (F, C/groups, k): conv2d on a height of 1."""
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise RuntimeError(f"conv1d expects (C, L) or (N, C, L) input and (F, C/groups, k) weight, got "
                           f"{list(input.shape)} and {list(weight.shape)}")
    def along_length(value: Any, name: str, height_value: int) -> Pair:
        values = (value,) if isinstance(value, int | np.integer) else tuple(value)
        if len(values) != 1:
            raise TypeError(f"conv1d: {name} must be an int or a 1-tuple, got {value!r}")
        return height_value, values[0]
    if not isinstance(padding, str):
        padding = along_length(padding, "padding", 0)
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, along_length(stride, "stride", 1), padding,
                 along_length(dilation, "dilation", 1), groups)
    return out.squeeze(-2)


def _check_fold_geometry(kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> None:
    if min(kernel) < 1 or min(dilation) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"kernel_size, dilation and stride must be positive and padding non-negative, got "
                         f"kernel_size={kernel}, dilation={dilation}, stride={stride}, padding={padding}")


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """im2col: every kernel-sized window of (N, C, H, W) as a column of (N, C kh kw, L)."""
    x, unbatched = _batched(input, "unfold")
    kernel, dilation, padding, stride = (pair(v, n) for v, n in ((kernel_size, "kernel_size"),
                                         (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    _check_fold_geometry(kernel, dilation, padding, stride)
    lengths = [output_length(x.shape[2 + a], kernel[a], stride[a], padding[a], dilation[a]) for a in (0, 1)]
    if min(lengths) < 1:
        raise RuntimeError(f"unfold: the kernel {kernel} (dilation {dilation}) does not fit the padded input of "
                           f"shape {x.shape} with padding {padding}")
    out = Unfold.apply(x, kernel, dilation, padding, stride)
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """col2im: add the columns (N, C kh kw, L) back into an (N, C, *output_size) image; overlaps sum."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to fold, but got input of size: "
                           f"{list(input.shape)}")
    cols = input if input.ndim == 3 else input.unsqueeze(0)
    size, kernel, dilation, padding, stride = (pair(v, n) for v, n in (
        (output_size, "output_size"), (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
        (stride, "stride")))
    _check_fold_geometry(kernel, dilation, padding, stride)
    if cols.shape[1] % (kernel[0] * kernel[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={cols.shape[1]} and kernel_size={kernel}.")
    blocks = math.prod(output_length(size[a], kernel[a], stride[a], padding[a], dilation[a]) for a in (0, 1))
    if cols.shape[2] != blocks:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, padding={padding},"
                           f" stride={stride}, expected size of input's dimension 2 to match the calculated number "
                           f"of sliding blocks {blocks}, but got input.size(2)={cols.shape[2]}.")
    out = Fold.apply(cols, size, kernel, dilation, padding, stride)
    return out if input.ndim == 3 else out.squeeze(0)


def _pool_geometry(x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool
                   ) -> tuple[Pair, Pair, Pair, Pair, Pair]:
    """kernel, stride, padding, dilation and the extra bottom/right rows ceil_mode needs."""
    kernel = pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None or stride == () else pair(stride, "stride", 1)
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation", 1)
    for a in (0, 1):
        if padding[a] > (dilation[a] * (kernel[a] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={padding[a]}, "
                               f"kernel_size={kernel[a]} and dilation={dilation[a]}")
    extra = []
    for a in (0, 1):
        size, span = x.shape[2 + a], dilation[a] * (kernel[a] - 1) + 1
        steps = (size + 2 * padding[a] - span) / stride[a]
        if steps < 0:
            raise RuntimeError(f"Given input size {tuple(x.shape[1:])}, the pooling window {kernel} (dilation "
                               f"{dilation}) does not fit: calculated output size is too small")
        count = (math.ceil(steps) if ceil_mode else math.floor(steps)) + 1
        if ceil_mode and (count - 1) * stride[a] >= size + padding[a]:
            count -= 1  # the last window must start inside the input or its left padding (PyTorch's rule)
        extra.append(max(0, (count - 1) * stride[a] + span - size - 2 * padding[a]))
    return kernel, stride, padding, dilation, (extra[0], extra[1])


def _pool_indices(data: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> np.ndarray:
    """PyTorch's return_indices: the flat position (row W + column) of each window's maximum in its channel."""
    _, offset = window_argmax(data, kernel, stride, padding, dilation)
    oh, ow = offset.shape[-2:]
    rows = np.arange(oh)[:, None] * stride[0] - padding[0] + offset // kernel[1] * dilation[0]
    columns = np.arange(ow)[None, :] * stride[1] - padding[1] + offset % kernel[1] * dilation[1]
    return rows * data.shape[-1] + columns


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum of every window; the gradient goes to one element per window (the first maximum).

    With return_indices, also the flat index (row W + column) of each maximum within its channel,
    an int64 Tensor without gradient (computed by a second pass over the windows).
    """
    x, unbatched = _batched(input, "max_pool2d")
    kernel, stride, padding, dilation, extra = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    padded = pad(x, (0, extra[1], 0, extra[0]), value=-math.inf) if extra != (0, 0) else x
    out = MaxPool2d.apply(padded, kernel, stride, padding, dilation)
    out = out.squeeze(0) if unbatched else out
    if not return_indices:
        return out
    indices = _pool_indices(padded.data, kernel, stride, padding, dilation)
    if extra != (0, 0):  # positions were counted in the widened rows: recount them in the input's width
        width = padded.shape[-1]
        indices = indices // width * x.shape[-1] + indices % width
    return out, Tensor(indices[0] if unbatched else indices)


def _window_counts(size: int, kernel: int, stride: int, padding: int, count: int, include_pad: bool) -> np.ndarray:
    """How many positions of each window along one axis count for the average (PyTorch's divisor)."""
    start = np.arange(count) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if not include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return end - start


def _window_sums(x: Tensor, kernel: Pair, stride: Pair, padding: Pair) -> Tensor:
    """The sum of every window: a reshape when windows tile, else a sum over unfold's columns."""
    n, c, h, w = x.shape
    if tiles(x.shape, kernel, stride, padding, (1, 1)):
        return x.reshape(n, c, h // kernel[0], kernel[0], w // kernel[1], kernel[1]).sum((3, 5))
    oh, ow = (output_length(x.shape[2 + a], kernel[a], stride[a], padding[a], 1) for a in (0, 1))
    cols = Unfold.apply(x, kernel, (1, 1), padding, stride)
    return cols.reshape(n, c, kernel[0] * kernel[1], oh * ow).sum(2).reshape(n, c, oh, ow)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean of every window: the window sums divided by the window size (PyTorch's divisor rules)."""
    x, unbatched = _batched(input, "avg_pool2d")
    kernel, stride, padding, _, extra = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    padded = pad(x, (0, extra[1], 0, extra[0])) if extra != (0, 0) else x
    sums = _window_sums(padded, kernel, stride, padding)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, int) or divisor_override == 0:
            raise ValueError(f"divisor_override must be a non-zero integer, got {divisor_override!r}")
        out = sums / divisor_override
    else:
        counts = [_window_counts(x.shape[2 + a], kernel[a], stride[a], padding[a], sums.shape[2 + a],
                                 count_include_pad) for a in (0, 1)]
        out = sums / (counts[0][:, None] * counts[1][None, :]).astype(x.dtype)
    return out.squeeze(0) if unbatched else out


def _adaptive_size(x: Tensor, output_size: Any) -> Pair:
    sizes = (output_size, output_size) if isinstance(output_size, int | None) else tuple(output_size)
    if len(sizes) != 2:
        raise TypeError(f"output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(x.shape[2 + a] if s is None else s for a, s in enumerate(sizes))
    return pair(sizes, "output_size", 1)


def _adaptive_bounds(size: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows: [floor(i size / count), ceil((i + 1) size / count))."""
    i = np.arange(count)
    return i * size // count, -(-(i + 1) * size // count)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over windows chosen so the output has `output_size` (None keeps that axis)."""
    x, unbatched = _batched(input, "adaptive_avg_pool2d")
    size = _adaptive_size(x, output_size)
    h, w = x.shape[2:]
    if h % size[0] == 0 and w % size[1] == 0:
        out = avg_pool2d(x, (h // size[0], w // size[1]))
    else:  # uneven windows: averaging is separable, one matrix product per axis
        averages = []
        for length, count in ((h, size[0]), (w, size[1])):
            start, end = _adaptive_bounds(length, count)
            positions = np.arange(length)
            inside = (positions >= start[:, None]) & (positions < end[:, None])
            averages.append((inside / (end - start)[:, None]).astype(x.dtype))
        out = averages[0] @ (x @ averages[1].T)
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False
                        ) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over adaptive windows; uneven windows are gathered to one size first (edges repeated)."""
    x, unbatched = _batched(input, "adaptive_max_pool2d")
    size = _adaptive_size(x, output_size)
    h, w = x.shape[2:]
    result: Tensor | tuple[Tensor, Tensor]  # (values, indices) when return_indices
    if h % size[0] == 0 and w % size[1] == 0:
        result = max_pool2d(x, (h // size[0], w // size[1]), return_indices=return_indices)
    else:
        gathered = []
        for length, count in ((h, size[0]), (w, size[1])):
            start, end = _adaptive_bounds(length, count)
            widest = int((end - start).max())
            # Repeating a window's last row leaves its maximum (and the first maximum's place) unchanged.
            gathered.append(np.minimum(start[:, None] + np.arange(widest), end[:, None] - 1))
        rows, columns = gathered
        patches = x[:, :, rows.reshape(-1)][:, :, :, columns.reshape(-1)]
        kernel = (rows.shape[1], columns.shape[1])
        out = MaxPool2d.apply(patches, kernel, kernel, (0, 0), (1, 1))
        if not return_indices:
            result = out
        else:
            _, offset = window_argmax(patches.data, kernel, kernel, (0, 0), (1, 1))
            row = rows[np.arange(size[0])[:, None], offset // kernel[1]]
            column = columns[np.arange(size[1])[None, :], offset % kernel[1]]
            result = out, Tensor(row * w + column)
    if not unbatched:
        return result
    if isinstance(result, tuple):
        return result[0].squeeze(0), Tensor(result[1].data[0])
    return result.squeeze(0)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or crop, with negative sizes) the last len(pad)//2 axes; pad = (last_before, last_after, ...).

    mode 'constant' fills with value (0 by default); 'reflect', 'replicate' and 'circular' read
    the values from the input (their gradients add up where one element is read several times).
    """
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {tuple(_PAD_MODES)}, got {mode!r}")
    sizes = tuple(pad)
    if len(sizes) % 2 or len(sizes) // 2 > input.ndim or not all(isinstance(s, int | np.integer) for s in sizes):
        raise ValueError(f"pad: padding length must be even and at most twice the {input.ndim} dims of input of "
                         f"shape {input.shape}, given as ints, got {pad!r}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    widths = [(0, 0)] * input.ndim
    for k in range(len(sizes) // 2):
        widths[input.ndim - 1 - k] = (int(sizes[2 * k]), int(sizes[2 * k + 1]))
    crop = tuple(slice(-min(b, 0), n + min(a, 0)) for (b, a), n in zip(widths, input.shape))
    if any(s.start > 0 or s.stop < n for s, n in zip(crop, input.shape)):
        if any(s.stop <= s.start for s in crop):
            raise RuntimeError(f"pad: negative padding {pad!r} removes every element of input of shape {input.shape}")
        input = input[crop]
    growth = tuple((max(b, 0), max(a, 0)) for b, a in widths)
    numpy_mode = _PAD_MODES[mode]
    if numpy_mode is None:  # "constant"
        return Pad.apply(input, growth, 0.0 if value is None else value) if any(map(any, growth)) else input
    for axis, (before, after) in enumerate(growth):
        if before == after == 0:
            continue
        n = input.shape[axis]
        if (mode == "reflect" and max(before, after) >= n) or (mode == "circular" and max(before, after) > n):
            raise RuntimeError(f"pad: padding ({before}, {after}) is too large for dimension {axis} of size {n} "
                               f"in mode {mode!r}")
        index = np.pad(np.arange(n), (before, after), mode=numpy_mode)
        input = input[(slice(None),) * axis + (index,)]
    return input


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero whole channels with probability p (one draw per (sample, channel)), scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"dropout2d expects 3D or 4D input, got input of shape {input.shape}")
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L)", UserWarning, stacklevel=2)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    keep = generator().random(shape, dtype=np.float64 if input.dtype == np.float64 else np.float32) >= p
    return input * (keep * np.asarray(1.0 / (1.0 - p), dtype=input.dtype))
