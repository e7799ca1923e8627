"""Custom Functions with the classic backward mistakes planted, and their correct twins.

Shared by the gradcheck tests: each wrong op differs from a right one in exactly one place,
so a test can assert both that the checker catches the bug and that it names the right cause.
"""
import numpy as np

import tinygrad_edu.functional as F
from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.conv import Conv2d


class Square(Function):
    """d x^2/dx = 2x"""

    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 2.0 * ctx.inputs[0]

    @staticmethod
    def jvp(ctx, tangent):
        return tangent * 2.0 * ctx.inputs[0]


class SquareForgetsTwo(Square):
    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.inputs[0]  # planted: the factor 2 is missing


class SquareJvpForgetsTwo(Square):
    @staticmethod
    def jvp(ctx, tangent):
        return tangent * ctx.inputs[0]  # planted: the factor 2 is missing (backward is right)


class TransposeOnlyReshapes(Function):
    @staticmethod
    def forward(ctx, x):
        return x.T.copy()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.inputs[0].shape)  # planted: should be grad_out.T


class SubFlipsSign(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out  # planted: d(a - b)/db is -1


class AddBiasNoSum(Function):
    """x (m, n) + b (n,)"""

    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out  # planted: b's gradient must be summed over axis 0


class AddBiasMean(AddBiasNoSum):
    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out.mean(0)  # planted: a mean where the sum belongs


class MulWrongSaved(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.inputs
        return grad_out * a, grad_out * a  # planted: d(a b)/da is b, not a


class MulDropsSecond(MulWrongSaved):
    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.inputs[1], None  # planted: no gradient for b


class Softplus(Function):
    """d log(1 + e^x)/dx = sigmoid(x)"""

    @staticmethod
    def forward(ctx, x):
        return np.logaddexp(0.0, x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.inputs[0].sigmoid()


class SoftplusWrongFormula(Softplus):
    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.inputs[0].tanh()  # planted: not the derivative at all


class SinConstantBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * np.cos(ctx.inputs[0].data)  # planted: a NumPy constant, invisible to 2nd order


class CenterForgetsMean(Function):
    """x - mean(x over the batch axis); the backward forgets the mean's share"""

    @staticmethod
    def forward(ctx, x):
        return x - x.mean(0, keepdims=True)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out  # planted: correct only when the batch is infinite


class MaxFirstIndex(Function):
    """max over the last axis, gradient to the first maximal element (NumPy's argmax)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.argmax(x, axis=-1))
        return x.max(axis=-1)

    @staticmethod
    def backward(ctx, grad_out):
        (index,) = ctx.saved_tensors
        mask = np.zeros(ctx.inputs[0].shape)
        np.put_along_axis(mask, index.data[..., None], 1.0, axis=-1)
        return grad_out.reshape(grad_out.shape + (1,)) * mask


class SinCos(Function):
    """Two outputs: d sin(x)/dx = cos(x),  d cos(x)/dx = -sin(x)"""

    @staticmethod
    def forward(ctx, x):
        return np.sin(x), np.cos(x)

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        x = ctx.inputs[0]
        return grad_sin * x.cos() - grad_cos * x.sin()


class SinCosFlipsSecondSign(SinCos):
    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        x = ctx.inputs[0]
        return grad_sin * x.cos() + grad_cos * x.sin()  # planted: d cos/dx is -sin


class Conv2dBackwardAsConvolutions(Function):
    """y = x correlated with w (stride 1, no padding); dx = full convolution of dy with w flipped,
    dW = x correlated with dy: the conv backward written as two convolutions."""

    @staticmethod
    def forward(ctx, x, w):
        return Conv2d.forward(ctx, x, w, None, (1, 1), (0, 0), (1, 1), 1)

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs
        kh, kw = w.shape[2:]
        dx = F.conv2d(grad_out, w.permute(1, 0, 2, 3)[:, :, ::-1, ::-1], padding=(kh - 1, kw - 1))
        dw = F.conv2d(x.permute(1, 0, 2, 3), grad_out.permute(1, 0, 2, 3)).permute(1, 0, 2, 3)
        return dx, dw


class Conv2dUnflippedKernel(Conv2dBackwardAsConvolutions):
    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.inputs
        kh, kw = w.shape[2:]
        dx = F.conv2d(grad_out, w.permute(1, 0, 2, 3), padding=(kh - 1, kw - 1))  # planted: kernel not flipped
        dw = F.conv2d(x.permute(1, 0, 2, 3), grad_out.permute(1, 0, 2, 3)).permute(1, 0, 2, 3)
        return dx, dw
