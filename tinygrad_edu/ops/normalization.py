"""BatchNorm in training mode as one fused primitive (eval mode is a composite in functional).

Layer L2. Forward normalises with the batch statistics; backward uses the closed form
    dx = (dxh - mean(dxh) - xh * mean(dxh * xh)) / sqrt(var + eps),   dxh = dy * weight,
one node instead of about forty for the composite, which matters in every BatchNorm layer of
every step (docs/performance.md). x-hat and 1/sqrt(var + eps) come from the saved arrays in a
plain backward; under create_graph they are rebuilt from x with Tensor ops, so the same
formula is differentiable again and second derivatives see how they depend on x.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Context, Function


class BatchNormTrain(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias;  dx as in the module docstring"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                mean: np.ndarray, var: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
        inv_std = 1.0 / np.sqrt(var + eps)
        normalised = (x - mean) * inv_std
        ctx.normalised, ctx.inv_std = normalised, inv_std
        out = normalised
        if weight is not None:
            out = out * weight.reshape(mean.shape)
        if bias is not None:
            out = out + bias.reshape(mean.shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, weight, bias, mean, _, axes, eps = ctx.inputs
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad[:3]
        if ctx.on_arrays:  # a plain backward: the statistics forward computed
            normalised, inv_std = ctx.normalised, ctx.inv_std
        else:  # create_graph: rebuild the statistics as functions of x
            centred = x - x.mean(axes, keepdims=True)
            inv_std = 1 / ((centred * centred).mean(axes, keepdims=True) + eps).sqrt()
            normalised = centred * inv_std
        grad_x = grad_weight = grad_bias = None
        if needs_x:
            dxh = grad_out * weight.reshape(mean.shape) if weight is not None else grad_out
            grad_x = (dxh - dxh.mean(axes, keepdims=True)
                      - normalised * (dxh * normalised).mean(axes, keepdims=True)) * inv_std
        if needs_weight:
            grad_weight = (grad_out * normalised).sum(axes)
        if needs_bias:
            grad_bias = grad_out.sum(axes)
        return grad_x, grad_weight, grad_bias, None, None, None, None

    @staticmethod
    def jvp(ctx: Context, tx, tw, tb, *_):
        """d y = (dx - mean(dx) - xh mean(xh dx)) / sqrt(var + eps) * weight + xh dweight + dbias"""
        x, weight, bias, mean, _, axes, eps = ctx.inputs
        centred = x - x.mean(axes, keepdims=True)  # statistics as functions of x, like create_graph
        inv_std = 1 / ((centred * centred).mean(axes, keepdims=True) + eps).sqrt()
        normalised = centred * inv_std
        out = (tx - tx.mean(axes, keepdims=True) - normalised * (tx * normalised).mean(axes, keepdims=True)) * inv_std
        if weight is not None:
            out = out * weight.reshape(mean.shape) + normalised * tw.reshape(mean.shape)
        return out + tb.reshape(mean.shape) if bias is not None else out
