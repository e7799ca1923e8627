"""Elementwise primitives: arithmetic, exp/log, trigonometry, activations, clip, where.

Layer L2. Inputs of a binary op arrive with equal shapes whenever they require grad:
`_tensor.py` inserts an explicit BroadcastTo node first (docs/broadcasting.md), so each backward
returns gradients of exactly its inputs' shapes. A Python scalar operand stays a plain number
(no gradient, no array allocation). Conventions at kinks follow PyTorch: relu'(0) = 0,
abs'(0) = 0, clip passes the gradient at its bounds, maximum/minimum split ties evenly.
Each `jvp` (forward mode) gets None as the tangent of such a plain-number operand.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..autograd.function import Context, Function, TensorBase

if TYPE_CHECKING:
    from .._tensor import Tensor


class Add(Function):
    """d(a+b)/da = 1,  d(a+b)/db = 1"""

    array_backward = True  # grad_out is handed on as it came: an array in a plain backward

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out, grad_out

    @staticmethod
    def jvp(ctx: Context, ta, tb):
        """d(a+b) = da + db"""
        return _present_sum(ta, tb)



class Sub(Function):
    """d(a-b)/da = 1,  d(a-b)/db = -1"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Context, ta, tb):
        """d(a-b) = da - db"""
        return _present_sum(ta, None if tb is None else -tb)



class Mul(Function):
    """d(a*b)/da = b,  d(a*b)/db = a"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    @staticmethod
    def backward(ctx: Context, grad_out):
        a, b = ctx.inputs
        needs_a, needs_b = ctx.needs_input_grad
        return (grad_out * b if needs_a else None), (grad_out * a if needs_b else None)

    @staticmethod
    def jvp(ctx: Context, ta, tb):
        """d(a*b) = da b + a db"""
        a, b = ctx.inputs
        return _present_sum(None if ta is None else ta * b, None if tb is None else a * tb)



class Div(Function):
    """d(a/b)/da = 1/b,  d(a/b)/db = -a/b^2 = -(a/b)/b"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / b

    @staticmethod
    def backward(ctx: Context, grad_out):
        a, b = ctx.inputs
        grad_a = grad_out / b
        return grad_a, (-(grad_a * ctx.output) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Context, ta, tb):
        """d(a/b) = da/b - (a/b) db/b"""
        b = ctx.inputs[1]
        return _present_sum(None if ta is None else ta / b, None if tb is None else -(ctx.output * tb / b))



class Neg(Function):
    """d(-x)/dx = -1"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return -x

    @staticmethod
    def backward(ctx: Context, grad_out):
        return -grad_out

    @staticmethod
    def jvp(ctx: Context, t):
        """d(-x) = -dx"""
        return -t



class Pow(Function):
    """d(a^b)/da = b a^(b-1),  d(a^b)/db = a^b log(a)"""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.power(a, b)

    @staticmethod
    def backward(ctx: Context, grad_out):
        a: Tensor | float  # the base of 2 ** x is a plain number
        a, b = ctx.inputs
        needs_a, needs_b = ctx.needs_input_grad
        grad_a = grad_out * b * a ** (b - 1) if needs_a else None
        if needs_b:  # the base may be a plain number (2 ** x), which has no .log()
            log_a = a.log() if isinstance(a, TensorBase) else float(np.log(a))
        grad_b = grad_out * ctx.output * log_a if needs_b else None
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, ta, tb):
        """d(a^b) = b a^(b-1) da + a^b log(a) db"""
        a: Tensor | float
        a, b = ctx.inputs
        via_a = ta * b * a ** (b - 1) if ta is not None else None
        if tb is not None:  # the base may be a plain number (2 ** x), which has no .log()
            log_a = a.log() if isinstance(a, TensorBase) else float(np.log(a))
        return _present_sum(via_a, ctx.output * log_a * tb if tb is not None else None)



class Exp(Function):
    """d exp(x)/dx = exp(x)"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out * ctx.output

    @staticmethod
    def jvp(ctx: Context, t):
        """d exp(x) = exp(x) dx"""
        return t * ctx.output



class Log(Function):
    """d log(x)/dx = 1/x"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out / ctx.inputs[0]

    @staticmethod
    def jvp(ctx: Context, t):
        """d log(x) = dx / x"""
        return t / ctx.inputs[0]



class Sqrt(Function):
    """d sqrt(x)/dx = 1 / (2 sqrt(x))"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.sqrt(x)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out / (ctx.output * 2)

    @staticmethod
    def jvp(ctx: Context, t):
        """d sqrt(x) = dx / (2 sqrt(x))"""
        return t / (ctx.output * 2)



class Abs(Function):
    """d|x|/dx = sign(x), taken as 0 at x = 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out * np.sign(ctx.inputs[0].data)

    @staticmethod
    def jvp(ctx: Context, t):
        """d|x| = sign(x) dx"""
        return t * np.sign(ctx.inputs[0].data)



class Sin(Function):
    """d sin(x)/dx = cos(x)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.sin(x)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out * ctx.inputs[0].cos()

    @staticmethod
    def jvp(ctx: Context, t):
        """d sin(x) = cos(x) dx"""
        return t * ctx.inputs[0].cos()



class Cos(Function):
    """d cos(x)/dx = -sin(x)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.cos(x)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return -(grad_out * ctx.inputs[0].sin())

    @staticmethod
    def jvp(ctx: Context, t):
        """d cos(x) = -sin(x) dx"""
        return -(t * ctx.inputs[0].sin())



class Tanh(Function):
    """d tanh(x)/dx = 1 - tanh(x)^2"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    @staticmethod
    def backward(ctx: Context, grad_out):
        y = ctx.output
        return grad_out * (1 - y * y)

    @staticmethod
    def jvp(ctx: Context, t):
        """d tanh(x) = (1 - tanh(x)^2) dx"""
        y = ctx.output
        return t * (1 - y * y)



class Sigmoid(Function):
    """d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x))"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind == "u":  # -x wraps around (-1 as uint8 is 255): take the float type exp would give
            x = x.astype(np.result_type(x.dtype, np.float16))
        # exp(-|x|) never overflows, and e/(1+e) for x < 0 keeps full relative precision in the
        # left tail, where (1 + tanh(x/2)) / 2 cancels to 0 (then log(sigmoid(x)) = -inf), and
        # down to the subnormals, where 1/(1+exp(-x)) overflows to 0 (below -88.7 in float32).
        # The numerator, 1 for x >= 0 and e for x < 0, is max(e, sign(x)): e <= 1, e = 1 at 0, and
        # nan stays nan. Two cheap passes with the same bits as np.where(x >= 0, 1, e), which with
        # its comparison took 9 of 21 us of a (100, 50) float32 forward (docs/performance.md).
        e = np.exp(-np.abs(x))
        return np.maximum(e, np.sign(x)) / (1 + e)

    @staticmethod
    def backward(ctx: Context, grad_out):
        y = ctx.output
        return grad_out * y * (1 - y)

    @staticmethod
    def jvp(ctx: Context, t):
        """d sigmoid(x) = sigmoid(x) (1 - sigmoid(x)) dx"""
        y = ctx.output
        return t * y * (1 - y)



class Softplus(Function):
    """d log(1 + exp(x))/dx = sigmoid(x)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.logaddexp(0, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out * ctx.inputs[0].sigmoid()

    @staticmethod
    def jvp(ctx: Context, t):
        """d softplus(x) = sigmoid(x) dx"""
        return t * ctx.inputs[0].sigmoid()



class ReLU(Function):
    """d relu(x)/dx = 1 where x > 0, else 0 (0 at the kink, as PyTorch)"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out * (ctx.output > 0)

    @staticmethod
    def jvp(ctx: Context, t):
        """d relu(x) = dx where x > 0, else 0"""
        return t * (ctx.output.data > 0)



class LeakyReLU(Function):
    """d leaky_relu(x)/dx = 1 where x > 0, else slope"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, slope: float) -> np.ndarray:
        return np.where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, slope = ctx.inputs
        return grad_out * np.where(x.data > 0, 1, slope).astype(x.data.dtype), None

    @staticmethod
    def jvp(ctx: Context, t, _):
        """d leaky_relu(x) = dx where x > 0, else slope dx"""
        x, slope = ctx.inputs
        return t * np.where(x.data > 0, 1, slope).astype(x.data.dtype)



class Clip(Function):
    """d clip(x, lo, hi)/dx = 1 where lo <= x <= hi (bounds included, as PyTorch), else 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, low, high) -> np.ndarray:
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out * _inside(ctx), None, None

    @staticmethod
    def jvp(ctx: Context, t, *_):
        """d clip(x, lo, hi) = dx where lo <= x <= hi, else 0"""
        return t * _inside(ctx)



def _inside(ctx: Context) -> np.ndarray:
    """Where clip(x, low, high) passes x through: low <= x <= high, bounds included."""
    x, low, high = ctx.inputs
    inside = np.ones(x.data.shape, dtype=bool)
    if low is not None:
        inside &= x.data >= low
    if high is not None:
        inside &= x.data <= high
    return inside


def _winner_weights(ctx: Context, wins, dtype) -> tuple[np.ndarray, np.ndarray]:
    """How much of max/min(a, b) each side owns: 1 where it `wins`, 1/2 at a tie, 0 where it loses."""
    a, b = (x.data if isinstance(x, TensorBase) else x for x in ctx.inputs)
    tie = (a == b).astype(dtype) * 0.5
    return wins(a, b).astype(dtype) + tie, wins(b, a).astype(dtype) + tie


def _split_by_winner(ctx: Context, grad_out, wins) -> tuple:
    """Gradients of max/min(a, b): each side gets grad_out times its share (_winner_weights)."""
    weight_a, weight_b = _winner_weights(ctx, wins, grad_out.data.dtype)
    needs_a, needs_b = ctx.needs_input_grad
    return grad_out * weight_a if needs_a else None, grad_out * weight_b if needs_b else None


def _blend_by_winner(ctx: Context, ta, tb, wins):
    """Tangent of max/min(a, b): each side's tangent times its share (_winner_weights)."""
    weight_a, weight_b = _winner_weights(ctx, wins, ctx.output.data.dtype)
    return _present_sum(None if ta is None else ta * weight_a, None if tb is None else tb * weight_b)


def _present_sum(first, second):
    """first + second, where either may be None: a plain-number operand (x + 2.0) has no tangent."""
    if first is None:
        return second
    return first if second is None else first + second


class Maximum(Function):
    """d max(a,b)/da = 1 where a > b, 1/2 at ties, else 0 (and symmetrically for b)"""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return _split_by_winner(ctx, grad_out, np.greater)

    @staticmethod
    def jvp(ctx: Context, ta, tb):
        """d max(a,b) = da where a > b, db where b > a, (da + db)/2 at ties"""
        return _blend_by_winner(ctx, ta, tb, np.greater)



class Minimum(Function):
    """d min(a,b)/da = 1 where a < b, 1/2 at ties, else 0 (and symmetrically for b)"""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return _split_by_winner(ctx, grad_out, np.less)

    @staticmethod
    def jvp(ctx: Context, ta, tb):
        """d min(a,b) = da where a < b, db where b < a, (da + db)/2 at ties"""
        return _blend_by_winner(ctx, ta, tb, np.less)



class Where(Function):
    """d where(c, a, b)/da = c,  d where(c, a, b)/db = not c  (c is a constant mask)"""

    @staticmethod
    def forward(ctx: Context, condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx: Context, grad_out):
        condition = np.asarray(ctx.inputs[0])  # an ndarray mask; its `.data` is a memoryview, not values
        _, needs_a, needs_b = ctx.needs_input_grad
        return (None, grad_out * condition if needs_a else None,
                grad_out * ~condition if needs_b else None)

    @staticmethod
    def jvp(ctx: Context, _, ta, tb):
        """d where(c, a, b) = where(c, da, db)"""
        return Where.apply(ctx.inputs[0], 0.0 if ta is None else ta, 0.0 if tb is None else tb)



class Cast(Function):
    """d x.to(dtype)/dx = 1 (the gradient is cast back to x's dtype)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return grad_out.to(ctx.inputs[0].data.dtype), None

    @staticmethod
    def jvp(ctx: Context, t, _):
        """d x.to(dtype) = dx.to(dtype)"""
        return t.to(ctx.inputs[1])
