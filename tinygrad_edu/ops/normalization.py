"""BatchNorm in training mode as one fused primitive (eval mode is a composite in functional).

Layer L2. Forward normalises with the batch statistics; backward uses the closed form
    dx = (dy - sum(dy) / n - xh * sum(dy * xh) / n) * weight / sqrt(var + eps)
where xh is the normalised input and n the number of values per channel. The two sums are
also the gradients of bias and weight, so backward computes each once. One node instead of
about forty for the composite, which matters in every BatchNorm layer of every step
(docs/performance.md). x-hat and 1/sqrt(var + eps) come from the saved arrays in a plain
backward; under create_graph they are rebuilt from x with Tensor ops, so the same formula is
differentiable again and second derivatives see how they depend on x.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Context, Function


def batch_statistics(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-channel mean, x minus it, and the biased variance over `axes` (kept as size-1 axes).

    The values np.mean and np.var give (the same sums, divided the same way), but x - mean is
    computed once and handed to BatchNormTrain, which normalises it instead of subtracting again.
    """
    count = math.prod(x.shape[axis] for axis in axes)
    mean = x.sum(axis=axes, keepdims=True) / count
    centred = x - mean
    var = np.square(centred).sum(axis=axes, keepdims=True) / count
    return mean, centred, var


class BatchNormTrain(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias;  dx as in the module docstring"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                centred: np.ndarray, var: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
        # centred = x - mean and var come from batch_statistics (functional.batch_norm keeps them
        # for the running statistics); x is an input so that create_graph can differentiate them.
        inv_std = 1.0 / np.sqrt(var + eps)
        normalised = centred * inv_std
        ctx.normalised, ctx.inv_std, ctx.count = normalised, inv_std, x.size // var.size
        if weight is None:
            # Never the saved array itself: an in-place op on the output would change what backward reads.
            return normalised.copy() if bias is None else normalised + bias.reshape(var.shape)
        out = normalised * weight.reshape(var.shape)
        if bias is not None:
            out += bias.reshape(var.shape)  # out is this op's own fresh array
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, weight, _, _, var, axes, eps = ctx.inputs
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad[:3]
        if ctx.on_arrays:  # a plain backward: the statistics forward computed
            normalised, inv_std = ctx.normalised, ctx.inv_std
        else:  # create_graph: rebuild the statistics as functions of x
            centred = x - x.mean(axes, keepdims=True)
            inv_std = 1 / ((centred * centred).mean(axes, keepdims=True) + eps).sqrt()
            normalised = centred * inv_std
        sum_dy = grad_out.sum(axes, keepdims=True)  # also d loss / d bias
        sum_dy_xh = (grad_out * normalised).sum(axes, keepdims=True)  # also d loss / d weight
        grad_x = None
        if needs_x:
            scale = inv_std if weight is None else inv_std * weight.reshape(var.shape)
            grad_x = (grad_out - sum_dy / ctx.count - normalised * (sum_dy_xh / ctx.count)) * scale
        grad_weight = sum_dy_xh.reshape(-1) if needs_weight else None
        grad_bias = sum_dy.reshape(-1) if needs_bias else None
        return grad_x, grad_weight, grad_bias, None, None, None, None

    @staticmethod
    def jvp(ctx: Context, tx, tw, tb, *_):
        """d y = (dx - mean(dx) - xh mean(xh dx)) / sqrt(var + eps) * weight + xh dweight + dbias"""
        x, weight, bias, _, var, axes, eps = ctx.inputs
        centred = x - x.mean(axes, keepdims=True)  # statistics as functions of x, like create_graph
        inv_std = 1 / ((centred * centred).mean(axes, keepdims=True) + eps).sqrt()
        normalised = centred * inv_std
        out = (tx - tx.mean(axes, keepdims=True) - normalised * (tx * normalised).mean(axes, keepdims=True)) * inv_std
        if weight is not None:
            out = out * weight.reshape(var.shape) + normalised * tw.reshape(var.shape)
        return out + tb.reshape(var.shape) if bias is not None else out
