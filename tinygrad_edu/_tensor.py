"""Tensor: a NumPy array plus the graph fields autodiff needs, and every op as a method.

Layer L3: imports the ops and the autograd core. Each method is a short call into one primitive
Function (ops/) or a composite of other methods, so `grep "def relu"` finds the method and
`grep "class ReLU"` its derivative. Binary operators broadcast in one place, `_broadcast_pair`,
which inserts explicit BroadcastTo nodes so backward sums them away again (docs/broadcasting.md).
Factories (zeros, randn, ...) live in creation.py. See docs/tensor.md for the full API.
`Function.apply` is typed `Any`, as torch.autograd.Function.apply (an op may return several
tensors), so a method returning one op's result names its type: `out: Tensor = Exp.apply(self)`.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _grad_mode, return_types
from ._dtypes import get_default_dtype, is_floating, to_array
from .device import CPU, check_device, device, is_device
from .autograd import engine, forward_ad
from .autograd.function import Function, TensorBase
from .autograd.hooks import RemovableHandle, add_hook
from .ops.elementwise import (Abs, Add, Cast, Clip, Cos, Div, Exp, LeakyReLU, Log, Maximum, Minimum, Mul, Neg,
                              Pow, ReLU, Sigmoid, Sin, Softplus, Sqrt, Sub, Tanh, Where)
from .ops.indexing import GetItem, ScatterTo, SetItem
from .ops.linalg import Linear, MatMul
from .ops.reduce import Max, Sum
from .ops.shape import BroadcastTo, Cat, Reshape, Split, SumTo, Transpose
from .ops.selection import MaxDim, MinDim, Sort, TopK
from .ops.softmax import LogSoftmax

Axis = int | Sequence[int] | None


class Tensor(TensorBase):
    """An n-dimensional array that can record the operations applied to it and differentiate them.

    Args:
        data: a number, nested list, NumPy array or Tensor (always copied, as torch.tensor does).
        requires_grad: record operations on this tensor so backward() can fill its `.grad`.
        dtype: any NumPy dtype; by default Python floats become float32 (see set_default_dtype).
        name: an optional label shown by repr, viz.to_dot and trace_backward.
    """

    __slots__ = ()
    __array_ufunc__ = None  # so `ndarray * tensor` defers to Tensor.__rmul__
    __hash__ = object.__hash__  # __eq__ is elementwise; hash by identity like torch.Tensor

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> None:
        if isinstance(data, TensorBase):
            data = data.data
        array = to_array(data, dtype)
        if requires_grad and not is_floating(array.dtype):
            raise TypeError(f"only floating-point tensors can require grad, got dtype {array.dtype}")
        self.data = array
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None
        self.name = name
        self.output_nr = 0
        self._version_counter = [0]
        self._hooks = None

    @staticmethod
    def _from_op(array: np.ndarray, grad_fn: Any, output_nr: int = 0,
                 version_counter: list[int] | None = None) -> Tensor:
        """Wrap an op's result without copying (the fast path every op output takes).

        `version_counter`: the counter to share when the array is a view of another tensor's memory
        (in-place changes through either then count for both); a fresh one otherwise.
        """
        out = object.__new__(Tensor)
        out.data = array
        out._grad = None
        out.requires_grad = grad_fn is not None
        out.grad_fn = grad_fn
        out.name = None
        out.output_nr = output_nr
        out._version_counter = [0] if version_counter is None else version_counter
        out._hooks = None
        return out

    # ----- attributes
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dimension, a tuple of ints (PyTorch's `size()`, NumPy's `shape`)."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions; same as `dim()`."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the values (float32 by default; see tg.set_default_dtype)."""
        return self.data.dtype

    if TYPE_CHECKING:  # TensorBase's property, typed for a Tensor: the gradients it holds are Tensors
        @property
        def grad(self) -> Tensor | None:
            """The accumulated gradient (a Tensor of this tensor's shape and dtype), or None."""

        @grad.setter
        def grad(self, value: TensorBase | None) -> None: ...

    @property
    def is_leaf(self) -> bool:
        """True for a tensor not produced by a recorded op (created by the user, or under no_grad); only leaves get
        `.grad` by default.
        """
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (shared with its views)."""
        return self._version_counter[0]

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (the matrix transpose for 2-D; a 0-d or 1-D tensor is returned as is)."""
        if self.data.ndim < 2:
            return self
        # Reversed axes are always a valid permutation: skip permute's checks, T is on the hot path.
        out: Tensor = Transpose.apply(self, tuple(range(self.data.ndim - 1, -1, -1)))
        return out

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape as a tuple, or the size of dimension `dim` when given (as torch.Tensor.size).

        Example:
            >>> t = tg.zeros(2, 3)
            >>> t.size(), t.size(-1)
            ((2, 3), 3)
        """
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        """The number of dimensions (same as `ndim`)."""
        return self.data.ndim

    def numel(self) -> int:
        """The number of elements, the product of the shape."""
        return int(self.data.size)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number (float, int or bool).

        Raises a ValueError naming the shape when the tensor has more than one element.
        """
        if self.data.size != 1:
            raise ValueError(f"a Tensor with {self.data.size} elements cannot be converted to Scalar: item() needs "
                             f"a tensor with one element, got shape {self.data.shape}")
        value: float | int | bool = self.data.item()  # NumPy's stubs type item() as Any
        return value

    def tolist(self) -> Any:
        """The values as nested Python lists (a Python number for a 0-d tensor)."""
        return self.data.tolist()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied); refused while the tensor requires grad."""
        self._check_leaves_graph("numpy()")
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """np.asarray(t): the data, refused like numpy() while the tensor requires grad."""
        self._check_leaves_graph("__array__")
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous (shape "
                               f"{self.data.shape}); use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype not in (get_default_dtype(), np.dtype(np.int64), np.dtype(bool)):
            extras.append(f"dtype={self.data.dtype}")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # ----- autograd
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad."""
        engine.backward(self, gradient, retain_graph, create_graph)

    def detach(self) -> Tensor:
        """The same data (shared, with the same version counter) cut from the graph."""
        return Tensor._from_op(self.data, None, 0, self._version_counter)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place (only on leaves and floating dtypes); returns self."""
        if not self.is_leaf:
            raise RuntimeError("requires_grad_() can only change leaf tensors; use detach() on a non-leaf")
        if requires_grad and not is_floating(self.data.dtype):
            raise TypeError(f"only floating-point tensors can require grad, got dtype {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        node = self.grad_fn
        if node is not None:
            if node.retained is None:
                node.retained = {}
            node.retained[self.output_nr] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        """True when `retain_grad()` was called on this non-leaf, so backward fills its `.grad`."""
        node = self.grad_fn
        if node is None or not node.retained or self.output_nr not in node.retained:
            return False
        return node.retained[self.output_nr]() is self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call `hook(grad)` when this tensor's gradient is computed; a returned Tensor replaces it.

        On a leaf the hooks run before the gradient is added to `.grad`; on a non-leaf before the
        gradient goes on into the op that made it (and before retain_grad() keeps it), as in PyTorch.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self.grad_fn
        if node is None:
            if self._hooks is None:
                self._hooks = []
            return add_hook(self._hooks, hook)
        if node.hooks is None:
            node.hooks = {}
        return add_hook(node.hooks.setdefault(self.output_nr, []), hook)

    # ----- arithmetic (binary ops broadcast through _binary)
    def __add__(self, other: Any) -> Tensor:
        return _binary(self, other, Add, False)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(self, other, Add, True)

    def __sub__(self, other: Any) -> Tensor:
        return _binary(self, other, Sub, False)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(self, other, Sub, True)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(self, other, Mul, False)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(self, other, Mul, True)

    def __truediv__(self, other: Any) -> Tensor:
        return _binary(self, other, Div, False)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binary(self, other, Div, True)

    def __pow__(self, other: Any) -> Tensor:
        return _binary(self, other, Pow, False)

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(self, other, Pow, True)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _as_tensor(other, self).matmul(self)

    def __neg__(self) -> Tensor:
        out: Tensor = Neg.apply(self)
        return out

    def __pos__(self) -> Tensor:
        return self

    def add(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self + alpha * other."""
        out: Tensor = self + other if alpha == 1 else self + other * alpha
        return out

    def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self - alpha * other."""
        out: Tensor = self - other if alpha == 1 else self - other * alpha
        return out

    def mul(self, other: Any) -> Tensor:
        """self * other elementwise, broadcasting (same as the `*` operator)."""
        out: Tensor = self * other
        return out

    def div(self, other: Any) -> Tensor:
        """self / other elementwise, broadcasting; true division, integers give floats (same as `/`)."""
        out: Tensor = self / other
        return out

    def pow(self, exponent: Any) -> Tensor:
        """self ** exponent elementwise, broadcasting (same as `**`)."""
        out: Tensor = self ** exponent
        return out

    def neg(self) -> Tensor:
        """-self elementwise."""
        return -self

    def square(self) -> Tensor:
        """self * self elementwise."""
        return self * self

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with np.matmul's rules: 1-D operands promoted, batch axes broadcast."""
        other = _as_tensor(other, self)
        if self.data.ndim == 0 or other.data.ndim == 0:
            raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                             f"{self.data.shape} and {other.data.shape}")
        k_self = self.data.shape[-1]
        k_other = other.data.shape[-2] if other.data.ndim > 1 else other.data.shape[0]
        if k_self != k_other:
            raise ValueError(f"matmul: shapes {self.data.shape} and {other.data.shape} do not align "
                             f"({k_self} != {k_other})")
        out: Tensor = MatMul.apply(self, other)
        return out

    # ----- elementwise functions
    def exp(self) -> Tensor:
        """e ** self elementwise. d/dx = exp(x)."""
        out: Tensor = Exp.apply(self)
        return out

    def log(self) -> Tensor:
        """The natural logarithm elementwise (-inf at 0, nan below, as NumPy). d/dx = 1/x."""
        out: Tensor = Log.apply(self)
        return out

    def sqrt(self) -> Tensor:
        """The square root elementwise. d/dx = 1 / (2 sqrt(x))."""
        out: Tensor = Sqrt.apply(self)
        return out

    def abs(self) -> Tensor:
        """|self| elementwise; the gradient at 0 is 0, as in PyTorch."""
        out: Tensor = Abs.apply(self)
        return out

    def sin(self) -> Tensor:
        """The sine elementwise (radians). d/dx = cos(x)."""
        out: Tensor = Sin.apply(self)
        return out

    def cos(self) -> Tensor:
        """The cosine elementwise (radians). d/dx = -sin(x)."""
        out: Tensor = Cos.apply(self)
        return out

    def tanh(self) -> Tensor:
        """The hyperbolic tangent elementwise. d/dx = 1 - tanh(x)^2."""
        out: Tensor = Tanh.apply(self)
        return out

    def sigmoid(self) -> Tensor:
        """1 / (1 + exp(-self)) elementwise, without overflow. d/dx = s (1 - s)."""
        out: Tensor = Sigmoid.apply(self)
        return out

    def softplus(self) -> Tensor:
        """log(1 + exp(self)) elementwise, without overflow. d/dx = sigmoid(x)."""
        out: Tensor = Softplus.apply(self)
        return out

    def relu(self) -> Tensor:
        """max(self, 0) elementwise; the gradient at exactly 0 is 0, as in PyTorch.

        Example:
            >>> tg.tensor([-1.0, 0.0, 2.0]).relu().tolist()
            [0.0, 0.0, 2.0]
        """
        out: Tensor = ReLU.apply(self)
        return out

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """self where positive, negative_slope * self elsewhere."""
        out: Tensor = LeakyReLU.apply(self, float(negative_slope))
        return out

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit every value to [min, max] (either bound may be None); `clamp` is the same method.

        The gradient is 1 inside the range and 0 where a bound was applied.
        """
        if min is None and max is None:
            raise ValueError("clip needs at least one of min and max")
        out: Tensor = Clip.apply(self, min, max)
        return out

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        """The elementwise maximum of self and other, broadcasting; at ties the gradient is split evenly, as in PyTorch.
        """
        return _binary(self, other, Maximum, False)

    def minimum(self, other: Any) -> Tensor:
        """The elementwise minimum of self and other, broadcasting; at ties the gradient is split evenly, as in PyTorch.
        """
        return _binary(self, other, Minimum, False)

    def where(self, condition: Any, other: Any) -> Tensor:
        """`self` where condition holds, else `other` (torch.Tensor.where)."""
        return where(condition, self, other)

    # ----- reductions (axis: int, tuple or None; `dim`/`keepdim` accepted as PyTorch spells them)
    def sum(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
               keepdim: bool | None = None) -> Tensor:
        """The sum over `dim` (all dimensions when None), keeping them as size 1 when `keepdim`.

        `axis`/`keepdims` (NumPy's names) and `dim`/`keepdim` (PyTorch's) are both accepted.

        Example:
            >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0).tolist()
            [4.0, 6.0]
        """
        axes = _axes(self, axis, dim)
        out: Tensor = Sum.apply(self, axes, keepdims if keepdim is None else keepdim)
        return out

    def mean(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                keepdim: bool | None = None) -> Tensor:
        """The mean over `dim` (all dimensions when None); arguments as for `sum`."""
        axes = _axes(self, axis, dim)
        return self.sum(axes, keepdims if keepdim is None else keepdim) / _count(self, axes)

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """No dim: the largest value (a tensor). With dim: `(values, indices)` along it, as torch.max.

        The gradient of `values` goes to the position `indices` names; `amax` shares it among ties.
        """
        if dim is None:
            return self.amax()
        axis = _single_axis(self, dim, "max")
        return return_types.max(*MaxDim.apply(self, axis, bool(keepdim)))

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """No dim: the smallest value (a tensor). With dim: `(values, indices)` along it, as torch.min."""
        if dim is None:
            return self.amin()
        axis = _single_axis(self, dim, "min")
        return return_types.min(*MinDim.apply(self, axis, bool(keepdim)))

    def amax(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
             keepdim: bool | None = None) -> Tensor:
        """The largest values along `axis` (one int, several, or all); ties share the gradient evenly."""
        axes = _axes(self, axis, dim)
        _check_not_empty(self, axes, "amax")
        out: Tensor = Max.apply(self, axes, keepdims if keepdim is None else keepdim)
        return out

    def amin(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
             keepdim: bool | None = None) -> Tensor:
        """The smallest values along `axis` (one int, several, or all); ties share the gradient evenly."""
        return -((-self).amax(axis, keepdims, dim=dim, keepdim=keepdim))

    def sort(self, dim: int = -1, descending: bool = False) -> Any:
        """`(values, indices)`: the values sorted along `dim` (equal values keep their order), as torch.sort."""
        axis = _axis(self, dim)
        if self.data.ndim == 0:
            return return_types.sort(self, Tensor._from_op(np.zeros((), dtype=np.int64), None))
        return return_types.sort(*Sort.apply(self, axis, bool(descending)))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """`(values, indices)` of the k largest (or smallest) values along `dim`, in order, as torch.topk."""
        axis = _axis(self, dim)
        length = self.data.shape[axis] if self.data.ndim else 1
        if not 0 <= k <= length:
            raise IndexError(f"topk: k={k} is out of range for dimension {dim} of size {length}")
        return return_types.topk(*TopK.apply(self.reshape(1) if self.data.ndim == 0 else self, int(k), axis,
                                             bool(largest)))

    def var(self, axis: Axis = None, keepdims: bool = False, *, correction: int = 1, unbiased: bool | None = None,
            dim: Axis = None, keepdim: bool | None = None) -> Tensor:
        """Variance with Bessel's correction by default (divides by n - correction), as torch.var."""
        axes = _axes(self, axis, dim)
        keep = keepdims if keepdim is None else keepdim
        if unbiased is not None:
            correction = 1 if unbiased else 0
        centred = self - self.mean(axes, keepdims=True)
        return (centred * centred).sum(axes, keep) / max(_count(self, axes) - correction, 0)

    def std(self, axis: Axis = None, keepdims: bool = False, *, correction: int = 1, unbiased: bool | None = None,
            dim: Axis = None, keepdim: bool | None = None) -> Tensor:
        """The standard deviation over `dim`, sqrt(var); arguments as for `var`.

        `correction=1` (the default, Bessel's) divides by N - 1, as in PyTorch; `correction=0` by N.
        """
        return self.var(axis, keepdims, correction=correction, unbiased=unbiased, dim=dim, keepdim=keepdim).sqrt()

    def logsumexp(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                  keepdim: bool | None = None) -> Tensor:
        """log(sum(exp(x))) computed without overflow (the max is shifted out first)."""
        axes = _axes(self, axis, dim)
        keep = keepdims if keepdim is None else keepdim
        # The shift is a constant: d/dx of m + log(sum(exp(x - m))) is softmax(x) for any m. As PyTorch,
        # an infinite max is not shifted out (inf - inf is nan: a row holding inf gives inf, all -inf gives
        # -inf), and over an empty axis the sum of nothing is 0, whose log is -inf.
        peak = np.max(self.data, axis=axes, keepdims=True) if self.data.size else np.sum(
            self.data, axis=axes, keepdims=True)
        shift = Tensor._from_op(np.where(np.isfinite(peak), peak, 0).astype(peak.dtype, copy=False), None)
        with np.errstate(divide="ignore"):  # log(0) = -inf is the answer, not an accident
            result = (self - shift).exp().sum(axes, keepdims=True).log() + shift
        return result if keep else result.reshape(_reduced_shape(self, axes))

    def softmax(self, dim: int = -1) -> Tensor:
        """exp(self) / sum(exp(self)) along `dim`, computed as exp(log_softmax) so large values do not overflow."""
        return self.log_softmax(dim).exp()

    def log_softmax(self, dim: int = -1) -> Tensor:
        """self - logsumexp(self) along `dim`: log(softmax) without overflow or log(0)."""
        out: Tensor = LogSoftmax.apply(self, _axis(self, dim))
        return out

    def argmax(self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
               keepdim: bool | None = None) -> Tensor:
        """Index of the largest value (no gradient)."""
        axis = dim if dim is not None else axis
        return Tensor._from_op(np.asarray(np.argmax(self.data, axis=axis, keepdims=bool(keepdim or keepdims))), None)

    def argmin(self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
               keepdim: bool | None = None) -> Tensor:
        """Index of the smallest value (no gradient)."""
        axis = dim if dim is not None else axis
        return Tensor._from_op(np.asarray(np.argmin(self.data, axis=axis, keepdims=bool(keepdim or keepdims))), None)

    # ----- comparisons (boolean results, never differentiable)
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]  # elementwise, as torch: a Tensor, not a bool
        return _compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]  # elementwise, as torch: a Tensor, not a bool
        return _compare(np.not_equal, self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _compare(np.greater_equal, self, other)

    # ----- shape
    def reshape(self, *shape: Any) -> Tensor:
        """The same values in a new shape (one dimension may be -1); `view` is the same method.

        Example:
            >>> tg.arange(6).reshape(2, -1).shape
            (2, 3)
        """
        new_shape = _shape_arg(shape)
        resolved = _resolve_shape(new_shape, self.data.size)
        if resolved is None:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.data.shape} "
                             f"({self.data.size} elements) into {new_shape}")
        if resolved == self.data.shape:
            return self
        out: Tensor = Reshape.apply(self, resolved)
        return out

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions start_dim..end_dim into one (all of them by default)."""
        if self.data.ndim == 0:
            return self.reshape(1)
        start, end = _axis(self, start_dim), _axis(self, end_dim)
        shape = self.data.shape
        return self.reshape(shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])

    def squeeze(self, dim: Axis = None) -> Tensor:
        """Drop dimensions of size 1: all of them, or only `dim` (an int or tuple) if it has size 1."""
        axes = tuple(i for i, n in enumerate(self.data.shape) if n == 1) if dim is None else \
            _axes(self, dim, None) or ()  # None only for a 0-d tensor, which has no dims to test
        return self.reshape(tuple(n for i, n in enumerate(self.data.shape) if not (i in axes and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a dimension of size 1 at position `dim` (negative counts from the end)."""
        position = dim if dim >= 0 else dim + self.data.ndim + 1
        if not 0 <= position <= self.data.ndim:
            raise IndexError(f"unsqueeze: dim {dim} out of range for a tensor with {self.data.ndim} dims")
        return self.reshape(self.data.shape[:position] + (1,) + self.data.shape[position:])

    def permute(self, *dims: Any) -> Tensor:
        """The dimensions reordered: result dimension i is self's dimension dims[i]."""
        axes = tuple(_axis(self, d) for d in _shape_arg(dims))
        if sorted(axes) != list(range(self.data.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.data.ndim} dims of shape "
                             f"{self.data.shape}")
        if axes == tuple(range(self.data.ndim)):
            return self
        out: Tensor = Transpose.apply(self, axes)
        return out

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Swap two dimensions (torch.transpose); `permute` reorders all of them."""
        axes = list(range(self.data.ndim))
        a, b = _axis(self, dim0), _axis(self, dim1)
        axes[a], axes[b] = axes[b], axes[a]
        return self.permute(*axes)

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Swap two dimensions: PyTorch's and NumPy's other name for `transpose(axis0, axis1)`."""
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def movedim(self, source: int, destination: int) -> Tensor:
        """Move dimension `source` to position `destination`, keeping the others in order."""
        axes = list(range(self.data.ndim))
        axes.insert(_axis(self, destination), axes.pop(_axis(self, source)))
        return self.permute(*axes)

    def broadcast_to(self, *shape: Any) -> Tensor:
        """The tensor broadcast to `shape` (NumPy rules); backward sums the gradient back to self's shape."""
        target = _shape_arg(shape)
        if target == self.data.shape:
            return self
        try:
            np.broadcast_shapes(self.data.shape, target)
        except ValueError:
            raise ValueError(f"broadcast_to: shape {self.data.shape} cannot be broadcast to {target}") from None
        if np.broadcast_shapes(self.data.shape, target) != target:
            raise ValueError(f"broadcast_to: shape {self.data.shape} cannot be broadcast to {target}")
        out: Tensor = BroadcastTo.apply(self, target)
        return out

    def expand(self, *sizes: Any) -> Tensor:
        """broadcast_to where -1 keeps the existing size (torch.Tensor.expand)."""
        target = _shape_arg(sizes)
        lead = len(target) - self.data.ndim
        if lead < 0:
            raise ValueError(f"expand: {target} has fewer dims than the tensor's shape {self.data.shape}")
        return self.broadcast_to(tuple(self.data.shape[i - lead] if n == -1 else n for i, n in enumerate(target)))

    def sum_to(self, *shape: Any) -> Tensor:
        """Sum over the axes that broadcasting `shape` up to this tensor's shape would create."""
        target = _shape_arg(shape)
        if target == self.data.shape:
            return self
        if not _broadcasts_to(target, self.data.shape):
            raise ValueError(f"sum_to: shape {self.data.shape} cannot be summed down to {target}")
        out: Tensor = SumTo.apply(self, target)
        return out

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
        """Views along `dim`: every `split_size` elements, or the listed section sizes (one graph node)."""
        axis = _axis(self, dim)
        length = self.data.shape[axis]
        if isinstance(split_size_or_sections, int):
            if split_size_or_sections <= 0:
                raise ValueError(f"split: split size must be positive, got {split_size_or_sections}")
            sizes = [min(split_size_or_sections, length - s) for s in range(0, length, split_size_or_sections)]
        else:
            sizes = [int(n) for n in split_size_or_sections]
            if sum(sizes) != length or any(n < 0 for n in sizes):
                raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dim {dim} has size {length}")
        return Split.apply(self, tuple(sizes), axis, False) if sizes else ()

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most `chunks` views of equal size along `dim` (the last may be smaller), as torch.chunk."""
        if chunks <= 0:
            raise ValueError(f"chunk: number of chunks must be positive, got {chunks}")
        length = self.data.shape[_axis(self, dim)]
        return self.split(max(-(-length // chunks), 1), dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """Every slice along `dim`, with that dimension removed (one graph node), as torch.unbind."""
        axis = _axis(self, dim)
        if self.data.ndim == 0:
            raise IndexError("unbind: a 0-d tensor has no dimension to unbind")
        length = self.data.shape[axis]
        return Split.apply(self, (1,) * length, axis, True) if length else ()

    def __getitem__(self, index: Any) -> Tensor:
        out: Tensor = GetItem.apply(self, _index_arg(index))
        return out

    def scatter_to(self, index: Any, shape: tuple[int, ...], accumulate: bool = True) -> Tensor:
        """A zero tensor of `shape` with this tensor placed at `index`, summing repeats if `accumulate`
        (the adjoint of indexing: GetItem's backward)."""
        out: Tensor = ScatterTo.apply(self, _index_arg(index), tuple(shape), accumulate)
        return out

    # ----- dtype and device (PyTorch's Tensor.to: a dtype, a device, both, or another tensor)
    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
           copy: bool = False) -> Tensor:
        """This tensor with another dtype (and/or on `device`, which can only be "cpu"); self when nothing changes.

        `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other)` (other's dtype) as in PyTorch;
        `copy=True` always returns a new tensor.
        """
        for arg in args:
            if isinstance(arg, TensorBase):
                dtype = arg.data.dtype
            elif is_device(arg):
                check_device(arg)
            elif dtype is None:
                dtype = arg
            else:
                raise TypeError(f"to(): got two dtypes, {dtype!r} and {arg!r}")
        check_device(device)
        result = self if dtype is None else self._cast(_dtype_arg(dtype, "to"))
        return result.clone() if copy and result is self else result

    def _cast(self, dtype: np.dtype) -> Tensor:
        if dtype == self.data.dtype:
            return self
        if self.requires_grad and _grad_mode.local.enabled and not is_floating(dtype):
            return Tensor._from_op(self.data.astype(dtype), None)  # integer results carry no gradient
        out: Tensor = Cast.apply(self, dtype)
        return out

    # ----- in-place updates: every one adds 1 to _version; with autograd it is recorded and rebased
    def zero_(self) -> Tensor:
        """Set every element to 0 in place."""
        return self.fill_(0)

    def fill_(self, value: float) -> Tensor:
        """Set every element to `value` in place."""
        return _write_in_place(self, "fill_", None, lambda before: SetItem.apply(before, Ellipsis, float(value)),
                               lambda: self.data.fill(value))

    def copy_(self, source: Any) -> Tensor:
        """Copy `source` (broadcast to this shape) into this tensor; differentiable in `source`."""
        values = _array_of(source)
        if not _broadcasts_to(values.shape, self.data.shape):
            raise ValueError(f"copy_: source of shape {values.shape} does not fit a tensor of shape {self.data.shape}")
        source = _as_tensor(source, self)
        return _write_in_place(self, "copy_", source, lambda before: SetItem.apply(before, Ellipsis, source),
                               lambda: np.copyto(self.data, values, casting="unsafe"))

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """self += alpha * other, in place."""
        def numpy_update() -> None:
            self.data += alpha * _array_of(other) if alpha != 1.0 else _array_of(other)

        return _write_in_place(self, "add_", other, lambda before: before + (other if alpha == 1.0 else alpha * other),
                               numpy_update)

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """self -= alpha * other, in place."""
        return self.add_(other, -alpha)

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        def numpy_update() -> None:
            self.data *= _array_of(other)

        return _write_in_place(self, "mul_", other, lambda before: before * other, numpy_update)

    def div_(self, other: Any) -> Tensor:
        """self /= other, in place."""
        def numpy_update() -> None:
            self.data /= _array_of(other)

        return _write_in_place(self, "div_", other, lambda before: before / other, numpy_update)

    def __setitem__(self, index: Any, value: Any) -> None:
        """`t[index] = value` in place (ints, slices, masks, index arrays); gradients flow to t's
        earlier history (zero where overwritten) and to `value`."""
        index = _index_arg(index)
        value = value if isinstance(value, bool | int | float) else _as_tensor(value, self)

        def numpy_update() -> None:
            self.data[index] = _array_of(value)

        _write_in_place(self, "setitem", value, lambda before: SetItem.apply(before, index, value), numpy_update)

    # Augmented assignment changes the tensor itself, as in PyTorch (`w -= lr * w.grad` keeps the
    # same leaf or Parameter; on a non-leaf, `h += 1` is recorded and rebases h's grad_fn).
    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    # ----- PyTorch compatibility: device, dtype queries and casts (docs/pytorch.md)
    @property
    def device(self) -> device:
        """Where the data lives: always device("cpu"), since every tensor is a NumPy array."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        """Always False: tinygrad_edu computes on the CPU with NumPy."""
        return False

    def cpu(self) -> Tensor:
        """This tensor (it is already on the CPU)."""
        return self

    def cuda(self, device: Any = None) -> Tensor:
        """Refused with a RuntimeError: this build runs on NumPy and has no CUDA device."""
        check_device("cuda")
        return self

    def type(self, dtype: Any = None) -> Tensor | str:
        """`type(dtype)` casts like `to(dtype)`; `type()` names the tensor type ("tinygrad_edu.FloatTensor")."""
        if dtype is None:
            return f"tinygrad_edu.{_TYPE_NAMES.get(self.data.dtype, str(self.data.dtype))}"
        return self._cast(_dtype_arg(dtype, "type"))

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor cast to `other`'s dtype."""
        return self._cast(other.data.dtype)

    def is_floating_point(self) -> bool:
        """True when the dtype is a floating-point type (float16, float32, float64)."""
        return is_floating(self.data.dtype)

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self.data.itemsize

    def nelement(self) -> int:
        """The number of elements (numel's older name)."""
        return int(self.data.size)

    # ----- PyTorch compatibility: shapes, copies, masks and gathers as Tensor methods
    def t(self) -> Tensor:
        """Transpose of a tensor with at most 2 dims (0-d and 1-D come back unchanged), torch.t."""
        if self.data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.data.ndim}D "
                               f"(shape {self.data.shape}); use transpose(dim0, dim1) or mT")
        return self.T

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a batch of matrices transposed)."""
        if self.data.ndim < 2:
            raise RuntimeError(f"mT needs a tensor with at least 2 dimensions, got shape {self.data.shape}")
        return self.transpose(-2, -1)

    def view_as(self, other: Tensor) -> Tensor:
        """The same values in the shape of `other` (same as `view(other.shape)`)."""
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """The same values in the shape of `other` (same as `reshape(other.shape)`)."""
        return self.reshape(other.shape)

    def expand_as(self, other: Tensor) -> Tensor:
        """This tensor broadcast to the shape of `other` (same as `expand(other.shape)`)."""
        return self.expand(other.shape)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (the gradient flows back unchanged)."""
        out: Tensor = Cast.apply(self, self.data.dtype)  # astype always copies; the derivative is 1
        return out

    def contiguous(self) -> Tensor:
        """This tensor: NumPy handles any memory layout, so there is nothing to rearrange."""
        return self

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """`value` where `mask` is true, this tensor elsewhere (mask broadcasts to this tensor's shape)."""
        mask_array = _array_of(mask)
        if mask_array.dtype != np.bool_:
            raise TypeError(f"masked_fill only supports boolean masks, but got mask with dtype {mask_array.dtype}")
        if not _broadcasts_to(mask_array.shape, self.data.shape):
            raise ValueError(f"masked_fill: mask of shape {mask_array.shape} does not broadcast to the tensor's "
                             f"shape {self.data.shape}")
        return where(mask_array, _as_tensor(value, self)._cast(self.data.dtype), self)

    def gather(self, dim: int, index: Any) -> Tensor:
        """`out[i][j] = self[index[i][j]][j]` for dim=0 (and likewise for every dim); differentiable in self."""
        return self[_along(self, dim, _index_array(index, self, dim, "gather"))]

    def scatter_add(self, dim: int, index: Any, src: Tensor) -> Tensor:
        """A copy of self with `src[i][j]` added at `[index[i][j]][j]` for dim=0; repeats accumulate."""
        positions = _index_array(index, self, dim, "scatter_add")
        src = _as_tensor(src, self)
        if src.data.ndim != positions.ndim or any(s < n for s, n in zip(src.data.shape, positions.shape)):
            raise ValueError(f"scatter_add: src of shape {src.data.shape} must be at least as large as index of "
                             f"shape {positions.shape} in every dim")
        used = src[tuple(slice(0, n) for n in positions.shape)]
        return self + used.scatter_to(_along(self, dim, positions), self.data.shape, True)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The entries of `index` (a 1-D integer tensor) along `dim`."""
        positions = _array_of(index)
        if positions.ndim > 1 or positions.dtype.kind not in "iu":
            raise ValueError(f"index_select: index must be a 1-D integer tensor, got shape {positions.shape} "
                             f"and dtype {positions.dtype}")
        return self[(slice(None),) * _axis(self, dim) + (positions.reshape(-1),)]

    def all(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """True where every element along `dim` (or all of them) is non-zero."""
        return Tensor._from_op(np.asarray(np.all(self.data, axis=_axes(self, None, dim), keepdims=keepdim)), None)

    def any(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """True where some element along `dim` (or any at all) is non-zero."""
        return Tensor._from_op(np.asarray(np.any(self.data, axis=_axes(self, None, dim), keepdims=keepdim)), None)

    def isnan(self) -> Tensor:
        """A boolean tensor, True where the value is nan (not recorded for autograd)."""
        return Tensor._from_op(np.isnan(self.data), None)

    def isinf(self) -> Tensor:
        """A boolean tensor, True where the value is +inf or -inf (not recorded for autograd)."""
        return Tensor._from_op(np.isinf(self.data), None)

    def isfinite(self) -> Tensor:
        """A boolean tensor, True where the value is neither nan nor infinite (not recorded for autograd)."""
        return Tensor._from_op(np.isfinite(self.data), None)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
        """NaN, +inf and -inf replaced (by 0 and the dtype's largest/smallest value unless given); the
        replaced places get zero gradient."""
        if not is_floating(self.data.dtype):
            return self.clone()
        replaced = np.nan_to_num(self.data, nan=nan, posinf=posinf, neginf=neginf)
        return where(np.isfinite(self.data), self, Tensor._from_op(replaced, None))

    # ----- PyTorch compatibility: comparisons and products under PyTorch's method names
    def eq(self, other: Any) -> Tensor:
        """Elementwise self == other as a boolean tensor, broadcasting."""
        out: Tensor = self == other
        return out

    def ne(self, other: Any) -> Tensor:
        """Elementwise self != other as a boolean tensor, broadcasting."""
        out: Tensor = self != other
        return out

    def lt(self, other: Any) -> Tensor:
        """Elementwise self < other as a boolean tensor, broadcasting."""
        out: Tensor = self < other
        return out

    def le(self, other: Any) -> Tensor:
        """Elementwise self <= other as a boolean tensor, broadcasting."""
        out: Tensor = self <= other
        return out

    def gt(self, other: Any) -> Tensor:
        """Elementwise self > other as a boolean tensor, broadcasting."""
        out: Tensor = self > other
        return out

    def ge(self, other: Any) -> Tensor:
        """Elementwise self >= other as a boolean tensor, broadcasting."""
        out: Tensor = self >= other
        return out

    def equal(self, other: Tensor) -> bool:
        """True when both tensors have the same shape and the same values."""
        return self.data.shape == other.data.shape and bool(np.array_equal(self.data, other.data))

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        """True when |self - other| <= atol + rtol * |other| everywhere (torch.allclose)."""
        return bool(np.allclose(self.data, _array_of(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def mm(self, mat2: Tensor) -> Tensor:
        """The product of two matrices (2-D only; matmul also handles vectors and batches)."""
        if self.data.ndim != 2 or mat2.data.ndim != 2:
            raise RuntimeError(f"mm: both arguments must be matrices, got shapes {self.data.shape} and "
                               f"{mat2.data.shape}")
        return self.matmul(mat2)

    def bmm(self, mat2: Tensor) -> Tensor:
        """Batched matrix products of (b, n, m) and (b, m, p) tensors."""
        if self.data.ndim != 3 or mat2.data.ndim != 3 or self.data.shape[0] != mat2.data.shape[0]:
            raise RuntimeError(f"bmm: expected two 3-D tensors with the same batch size, got shapes "
                               f"{self.data.shape} and {mat2.data.shape}")
        return self.matmul(mat2)

    # ----- PyTorch compatibility: new tensors with this tensor's dtype (Tensor.new_*)
    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A copy of `data` with this tensor's dtype unless `dtype` is given."""
        dtype = self.data.dtype if dtype is None else _dtype_arg(dtype, "new_tensor")
        return _new_leaf(to_array(_array_of(data), dtype), requires_grad, device)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of the given size with this tensor's dtype unless `dtype` is given (a new leaf)."""
        return _new_leaf(np.zeros(_shape_arg(size), self._new_dtype(dtype)), requires_grad, device)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of the given size with this tensor's dtype unless `dtype` is given (a new leaf)."""
        return _new_leaf(np.ones(_shape_arg(size), self._new_dtype(dtype)), requires_grad, device)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Uninitialised values (here zeros, so results never depend on leftover memory)."""
        return _new_leaf(np.zeros(_shape_arg(size), self._new_dtype(dtype)), requires_grad, device)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """A tensor of `size` filled with `fill_value`, in this tensor's dtype unless `dtype` is given."""
        return _new_leaf(np.full(_shape_arg((size,)), fill_value, self._new_dtype(dtype)), requires_grad, device)

    def _new_dtype(self, dtype: Any) -> np.dtype:
        return self.data.dtype if dtype is None else _dtype_arg(dtype, "new_*")

    # ----- PyTorch compatibility: Python and NumPy protocols
    def __index__(self) -> int:
        """`items[t]` and `range(t)` for a one-element integer tensor."""
        if self.data.size != 1 or self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors of a single element can be converted to an index "
                            f"(got dtype {self.data.dtype}, shape {self.data.shape})")
        return int(self.data.item())

    def __format__(self, format_spec: str) -> str:
        """`f"{loss:.4f}"` formats the number of a 0-d tensor; other tensors format as their repr."""
        if self.data.ndim == 0:
            return format(self.data.item(), format_spec)
        return object.__format__(self, format_spec)

    def __contains__(self, element: Any) -> bool:
        """`x in t`: some element of t equals x."""
        if not isinstance(element, TensorBase | int | float | bool | np.number | np.bool_):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element).__name__}")
        return bool(np.any(self.data == _array_of(element)))

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        """The DLPack capsule of the data, so `np.from_dlpack(t)` shares memory (refused if it requires grad)."""
        self._check_leaves_graph("__dlpack__")
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.data.__dlpack_device__()

    def _check_leaves_graph(self, what: str) -> None:
        if self.requires_grad:
            raise RuntimeError(f"Can't call {what} on Tensor that requires grad: it would leave the graph "
                               "silently. Use tensor.detach() first, e.g. tensor.detach().numpy()")

    # ----- casts by dtype name, last in the class: below a `def float` (bool, int), a type checker reads
    # `float` in an annotation as that method, so these come after every annotation that means the builtin
    def float(self) -> Tensor:
        """This tensor as float32 (self if it already is), like `to(tg.float32)`."""
        return self._cast(np.dtype(np.float32))

    def double(self) -> Tensor:
        """This tensor as float64 (self if it already is), like `to(tg.float64)`."""
        return self._cast(np.dtype(np.float64))

    def long(self) -> Tensor:
        """This tensor as int64 (self if it already is); no gradient flows through integers."""
        return self._cast(np.dtype(np.int64))

    def bool(self) -> Tensor:
        """This tensor as booleans (self if it already is); no gradient flows through booleans."""
        return self._cast(np.dtype(np.bool_))

    def half(self) -> Tensor:
        """This tensor as float16 (self if it already is), like `to(tg.float16)`."""
        return self._cast(np.dtype(np.float16))

    def int(self) -> Tensor:
        """This tensor as int32 (self if it already is); no gradient flows through integers."""
        return self._cast(np.dtype(np.int32))


def _write_in_place(self: Tensor, what: str, other: Any, out_of_place: Callable[[Tensor], Tensor],
                    numpy_update: Callable[[], Any]) -> Tensor:
    """Change `self` in place and add 1 to its version (shared with its views).

    Nothing to record (grad mode off, or nothing requires grad): NumPy writes the values. Else
    the op runs out of place on `before`, a copy of the old values that stands for self's old
    history, and the result is written back into self, which takes the new node as its grad_fn
    (PyTorch's rebase). Saved copies of self now hold an old version: their backward raises.
    """
    other_requires = isinstance(other, TensorBase) and other.requires_grad
    tracked = _grad_mode.local.enabled and (self.requires_grad or other_requires)
    if not tracked and not forward_ad.is_active():
        numpy_update()
        self._version_counter[0] += 1
        return self
    node = self.grad_fn if tracked else None
    if node is None and self.requires_grad and tracked:
        raise RuntimeError(f"{what}: a leaf Variable that requires grad is being used in an in-place operation. "
                           "(Update parameters inside `with no_grad():`.)")
    if node is not None and node.function.returns_view and self.data.base is not None:
        raise RuntimeError(f"{what}: in-place change of a view ({node.name()}'s output) of a tensor that requires "
                           "grad is not supported; clone() it first or change the base tensor (a difference from "
                           "PyTorch, see docs/tensor.md)")
    before = Tensor._from_op(self.data.copy(), node, self.output_nr)  # its own counter: nothing changes it
    forward_ad.carry_tangent(self, before)
    self._version_counter[0] += 1
    if node is not None:
        node.output_refs[self.output_nr] = weakref.ref(before)  # one object per (node, output)
    result = out_of_place(before)
    if result.data.shape != self.data.shape:
        raise RuntimeError(f"{what}: output with shape {list(self.data.shape)} doesn't match the broadcast shape "
                           f"{list(result.data.shape)}")
    if result.data.dtype != self.data.dtype:
        result = result.to(self.data.dtype)
    self.data[...] = result.data
    forward_ad.carry_tangent(result, self)
    rebased = result.grad_fn
    if rebased is None:  # nothing recorded (forward mode only): the values and tangent were all to carry
        return self
    rebased.output_arrays, rebased.output_refs = (self.data,), [weakref.ref(self)]
    rebased.output_counters, rebased.output_versions = (self._version_counter,), (self._version_counter[0],)
    self.grad_fn, self.output_nr, self.requires_grad = rebased, 0, True
    return self


def _array_of(value: Any) -> np.ndarray:
    """The array behind a tensor, or the value as an array (the right-hand side of in-place updates)."""
    return value.data if isinstance(value, TensorBase) else np.asarray(value)


def _as_tensor(value: Any, like: Tensor) -> Tensor:
    """A constant Tensor for a number, list or array met in an op with tensor `like`."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, bool | int | float):
        dtype = like.data.dtype if is_floating(like.data.dtype) or not isinstance(value, float) else get_default_dtype()
        return Tensor._from_op(np.asarray(value, dtype=dtype), None)
    return Tensor._from_op(to_array(value, copy=False), None)


def _binary(self: Tensor, other: Any, op: type[Function], reflected: bool) -> Tensor:
    """Apply a two-input op with NumPy broadcasting, made explicit in the graph."""
    if isinstance(other, Tensor) and not reflected:
        x, y = self.data, other.data
        if x.shape == y.shape and x.dtype == y.dtype and (op is not Div or is_floating(x.dtype)):
            out: Tensor = op.apply(self, other)  # the common case first: nothing to convert or broadcast
            return out
    if type(other) is float or type(other) is int:
        if not is_floating(self.data.dtype) and (type(other) is float or op is Div):
            self = self._cast(get_default_dtype())  # int / int is a float of the default dtype, as in PyTorch
        # A Python number stays a plain argument: no array to build, no gradient to compute.
        out = op.apply(other, self) if reflected else op.apply(self, other)
        return out
    if not isinstance(other, Tensor):
        other = _as_tensor(float(other) if isinstance(other, np.floating) else other, self)
        if other.data.ndim == 0 and type(other.data.item()) in (int, float):
            return _binary(self, other.data.item(), op, reflected)
    a, b = (other, self) if reflected else (self, other)
    if op is Div and not is_floating(a.data.dtype) and not is_floating(b.data.dtype):
        a = a._cast(get_default_dtype())
    if a.data.dtype != b.data.dtype:
        a, b = _float_wins(a, b)
    if a.data.shape != b.data.shape and _grad_mode.local.enabled:
        a, b = _broadcast_pair(a, b, op)
    out = op.apply(a, b)
    return out


def _float_wins(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """PyTorch's rule where NumPy's differs: an integer or bool tensor meeting a float tensor takes
    the float's dtype (NumPy widens int64 with float32 to float64)."""
    a_float, b_float = is_floating(a.data.dtype), is_floating(b.data.dtype)
    if a_float and not b_float:
        return a, b._cast(a.data.dtype)
    if b_float and not a_float:
        return a._cast(b.data.dtype), b
    return a, b


def _broadcast_pair(a: Tensor, b: Tensor, op: type[Function]) -> tuple[Tensor, Tensor]:
    """Broadcast the operands that require grad, so each op's backward sees one shape."""
    try:
        shape = np.broadcast_shapes(a.data.shape, b.data.shape)
    except ValueError:
        raise ValueError(f"{op.__name__}: shapes {a.data.shape} and {b.data.shape} cannot be broadcast "
                         "together") from None
    if a.requires_grad and a.data.shape != shape:
        a = BroadcastTo.apply(a, shape)
    if b.requires_grad and b.data.shape != shape:
        b = BroadcastTo.apply(b, shape)
    return a, b


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """True when `shape` broadcasts to exactly `target` (np.broadcast_shapes raises otherwise)."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _compare(ufunc: Any, a: Tensor, other: Any) -> Tensor:
    values = other.data if isinstance(other, TensorBase) else other
    return Tensor._from_op(np.asarray(ufunc(a.data, values)), None)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elementwise `input` where `condition` is true, else `other`; differentiable in both."""
    mask = np.asarray(condition.data if isinstance(condition, TensorBase) else condition, dtype=bool)
    anchor = input if isinstance(input, Tensor) else other
    if not isinstance(anchor, Tensor):
        anchor = Tensor(input)
    a, b = _as_tensor(input, anchor), _as_tensor(other, anchor)
    shape = np.broadcast_shapes(mask.shape, a.data.shape, b.data.shape)
    if _grad_mode.local.enabled:
        a = a.broadcast_to(shape) if a.requires_grad else a
        b = b.broadcast_to(shape) if b.requires_grad else b
    out: Tensor = Where.apply(mask, a, b)
    return out


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    if len(tensors) == 0:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    first = tensors[0]
    axis = _axis(first, dim)
    for position, t in enumerate(tensors):
        if t.data.ndim != first.data.ndim or t.data.shape[:axis] + t.data.shape[axis + 1:] != \
                first.data.shape[:axis] + first.data.shape[axis + 1:]:
            raise ValueError(f"cat: tensor {position} has shape {t.data.shape}, which does not match "
                             f"{first.data.shape} outside dim {dim}")
    out: Tensor = Cat.apply(axis, *tensors)
    return out


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension."""
    if len(tensors) == 0:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {t.data.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias as one graph node (weight has PyTorch's (out, in) layout)."""
    if weight.data.ndim != 2 or input.data.shape[-1:] != weight.data.shape[1:]:
        raise ValueError(f"linear: input of shape {input.data.shape} does not fit weight of shape "
                         f"{weight.data.shape} (expected (..., {weight.data.shape[-1] if weight.data.ndim else '?'}))")
    if bias is not None and bias.data.shape != weight.data.shape[:1]:
        raise ValueError(f"linear: bias of shape {bias.data.shape} does not fit weight of shape {weight.data.shape}")
    if not is_floating(input.data.dtype) and is_floating(weight.data.dtype):  # NumPy would promote silently
        raise RuntimeError(f"linear: mat1 and mat2 must have the same dtype, but got {input.data.dtype} and "
                           f"{weight.data.dtype}; convert the input with .float()")
    out: Tensor = Linear.apply(input, weight, bias)
    return out


def _axis(t: Tensor, axis: int) -> int:
    ndim = max(t.data.ndim, 1)
    if not -ndim <= axis < ndim:
        raise IndexError(f"dimension {axis} is out of range for a tensor of shape {t.data.shape}")
    return axis % ndim


def _axes(t: Tensor, axis: Axis, dim: Axis) -> tuple[int, ...] | None:
    """Normalise a reduction's axis argument to None or a sorted tuple of non-negative ints."""
    chosen = dim if dim is not None else axis
    if chosen is None:
        return None
    items = (chosen,) if isinstance(chosen, int | np.integer) else tuple(chosen)
    axes = tuple(sorted({_axis(t, int(a)) for a in items}))
    if len(axes) != len(items):
        raise ValueError(f"repeated dimension in {chosen!r}")
    if t.data.ndim == 0:
        return None
    return axes


def _single_axis(t: Tensor, dim: Any, what: str) -> int:
    """One dimension for max(dim)/min(dim); a tuple of dims is amax's job, as in PyTorch."""
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{what}(dim): dim must be one int, got {dim!r}; use amax/amin to reduce several dims")
    axis = _axis(t, int(dim))
    if t.data.ndim and t.data.shape[axis] == 0:
        raise ValueError(f"{what}: cannot reduce an empty dimension {dim} of a tensor of shape {t.data.shape}")
    return axis


def _count(t: Tensor, axes: tuple[int, ...] | None) -> int:
    return t.data.size if axes is None else int(np.prod([t.data.shape[a] for a in axes]))


def _reduced_shape(t: Tensor, axes: tuple[int, ...] | None) -> tuple[int, ...]:
    return () if axes is None else tuple(n for i, n in enumerate(t.data.shape) if i not in axes)


def _check_not_empty(t: Tensor, axes: tuple[int, ...] | None, what: str) -> None:
    if _count(t, axes) == 0:
        raise ValueError(f"{what}: cannot reduce an empty selection of a tensor of shape {t.data.shape}")


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept shape as varargs `(2, 3)` or as one tuple/list `((2, 3),)`."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _resolve_shape(shape: tuple[int, ...], size: int) -> tuple[int, ...] | None:
    """`shape` with its one -1 filled in so it holds `size` elements, or None if it cannot."""
    unknown = shape.count(-1)
    if unknown > 1 or any(n < -1 for n in shape):
        return None
    known = int(np.prod([n for n in shape if n != -1]))
    if unknown:
        if known == 0 or size % known:
            return None
        shape = tuple(size // known if n == -1 else n for n in shape)
    return shape if int(np.prod(shape)) == size else None


def _index_arg(index: Any) -> Any:
    """Tensors inside an index become their arrays; lists become arrays (NumPy's meaning)."""
    if isinstance(index, TensorBase):
        return index.data
    if isinstance(index, list):
        array = np.asarray(index)
        return array.astype(np.intp) if array.size == 0 else array  # x[[]] selects nothing (NumPy: a float index)
    if isinstance(index, tuple):
        return tuple(_index_arg(part) for part in index)
    return index



_TYPE_NAMES = {np.dtype(np.float32): "FloatTensor", np.dtype(np.float64): "DoubleTensor",
               np.dtype(np.float16): "HalfTensor", np.dtype(np.int64): "LongTensor", np.dtype(np.int32): "IntTensor",
               np.dtype(np.int16): "ShortTensor", np.dtype(np.int8): "CharTensor", np.dtype(np.uint8): "ByteTensor",
               np.dtype(np.bool_): "BoolTensor"}


def _dtype_arg(dtype: Any, what: str) -> np.dtype:
    """`dtype` as a NumPy dtype (tg.float32, np.float32, "float32", float, ...); TypeError naming `what` if not."""
    try:
        result: np.dtype = np.dtype(dtype)
        return result
    except TypeError:
        raise TypeError(f"{what}(): {dtype!r} is neither a dtype (such as tinygrad_edu.float32) nor a device "
                        "(such as 'cpu')") from None


def _new_leaf(array: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    """A factory's result: a leaf tensor owning `array`, which may require grad only if floating."""
    check_device(device)
    if requires_grad and not is_floating(array.dtype):
        raise TypeError(f"only floating-point tensors can require grad, got dtype {array.dtype}")
    out = Tensor._from_op(array, None)
    out.requires_grad = bool(requires_grad)
    return out


def _index_array(index: Any, t: Tensor, dim: int, what: str) -> np.ndarray:
    """gather/scatter_add's index: an integer array with as many dims as `t`."""
    positions = _array_of(index)
    if positions.dtype.kind not in "iu":
        raise TypeError(f"{what}(): Expected dtype int64 for index, got {positions.dtype}")
    if positions.ndim != max(t.data.ndim, 1):
        raise ValueError(f"{what}(): Index tensor must have the same number of dimensions as input tensor: "
                         f"index has shape {positions.shape}, input {t.data.shape}")
    _axis(t, dim)
    return positions


def _along(t: Tensor, dim: int, positions: np.ndarray) -> tuple[np.ndarray, ...]:
    """The fancy index that reads `positions` along `dim` and the element's own place along every other dim."""
    grids: list[np.ndarray] = list(np.indices(positions.shape, sparse=True))
    grids[_axis(t, dim)] = positions
    return tuple(grids)
