"""The backward engine and the graph recorder: order, fan-in, freeing, grad modes, custom Functions.

Each test builds a graph whose gradient is known by hand and checks what the engine delivers,
or an error case of issue 2 and the words its message must contain.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function, topological_sort


def leaf(values, dtype=np.float64):
    return tg.tensor(values, requires_grad=True, dtype=dtype)


def test_topological_sort_puts_every_consumer_before_its_producers():
    x = leaf([1.0, 2.0])
    a = x.exp()
    b = a * 2.0
    c = a.sin()
    out = (b + c).sum()
    order = topological_sort([out.grad_fn])
    position = {node: i for i, node in enumerate(order)}
    assert order[0] is out.grad_fn
    assert len(order) == len(set(order)) == 5  # sum, add, mul, sin, exp: each node once
    for node in order:
        for producer, _ in node.next_functions:
            if producer is not None:
                assert position[node] < position[producer]
    assert [n.name() for n in order] == [n.name() for n in topological_sort([out.grad_fn])]  # deterministic


def test_diamond_sums_both_paths():
    x = leaf(3.0)
    a, b = x * 2.0, x * 5.0
    (a * b).backward()  # d(10 x^2)/dx = 20 x
    assert x.grad.item() == 60.0


def test_x_times_x_counts_both_operands():
    x = leaf([1.5, -2.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0, -4.0]


def test_fan_out_to_many_consumers_adds_every_gradient():
    x = leaf(2.0)
    total = x * 0.0
    for k in range(1, 11):
        total = total + x * float(k)
    total.backward()
    assert x.grad.item() == 55.0


def test_chain_of_100000_ops_backprops_without_recursion_error():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert y.grad_fn.freed


def test_leaf_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_two_leaves_never_share_one_gradient_array():
    a, b = leaf([1.0]), leaf([1.0])
    (a + b).sum().backward()
    a.grad.data += 10.0  # Add returns the same grad_out twice; b must have its own copy
    assert b.grad.tolist() == [1.0]


def test_leaf_gradients_are_writable_and_never_views_of_each_other():
    x, w = leaf(np.ones((2, 3))), leaf(np.ones(6))
    (x.reshape(6) + w).backward(np.arange(6.0))   # x's gradient is a reshape of w's
    s = leaf(np.ones(3))
    s.sum().backward()                             # Sum's backward is a read-only broadcast view
    x.grad.zero_()                                 # PyTorch's idiom must not touch any other gradient
    s.grad.zero_()
    assert w.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert x.grad.tolist() == [[0.0] * 3] * 2 and s.grad.tolist() == [0.0] * 3


def test_non_leaf_grad_is_kept_only_after_retain_grad():
    x = leaf([1.0, -2.0])
    y = x * 2.0
    z = y * 3.0
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    (z * z).sum().backward()
    np.testing.assert_allclose(y.grad.data, 2 * z.data * 3.0)
    assert z.grad is None
    assert y.grad.grad_fn is None and not y.grad.requires_grad


def test_retain_grad_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.tensor([1.0]).retain_grad()


def test_second_backward_through_a_freed_graph_raises_clearly():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"freed.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="freed"):
        y.backward()


def test_backward_frees_saved_values():
    x = leaf([1.0, 2.0])
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node.freed and node.args == ()
    with pytest.raises(RuntimeError, match="freed"):
        node.saved_tensors


def test_non_scalar_backward_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*gradient"):
        (x * 2.0).backward()
    y = x * 2.0
    y.backward(np.array([1.0, -1.0]))
    assert x.grad.tolist() == [2.0, -2.0]
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.tensor([1.0]).sum().backward()
    x = leaf([1.0])
    with tg.no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError, match="no_grad"):
        y.sum().backward()


def test_no_grad_enable_grad_and_set_grad_enabled_as_context_managers():
    x = leaf([1.0])
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2.0
        with tg.enable_grad():
            z = x * 2.0
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    with tg.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    with tg.set_grad_enabled(True):
        assert (x * 2.0).requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError("inside")
    assert tg.is_grad_enabled()


def test_grad_mode_switches_work_as_decorators():
    x = leaf([1.0])

    @tg.no_grad()
    def evaluate(t):
        return t * 2.0

    @tg.enable_grad()
    def train(t):
        return t * 2.0

    @tg.set_grad_enabled(False)
    def frozen(t):
        return t * 2.0

    assert not evaluate(x).requires_grad
    assert not frozen(x).requires_grad
    with tg.no_grad():
        assert train(x).requires_grad
    assert evaluate.__name__ == "evaluate" and tg.is_grad_enabled()


def test_create_graph_makes_the_gradient_differentiable():
    x = leaf(2.0)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.item() == 12.0 and g.grad_fn is not None
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0  # d(3 x^2)/dx = 6 x


def test_plain_backward_records_nothing():
    x = leaf(2.0)
    (x ** 3).backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    x.grad = tg.tensor([100.0, 100.0], dtype=np.float64)
    y = x * w
    gx, gw = tg.grad(y, [x, w], grad_outputs=tg.tensor([1.0, 10.0], dtype=np.float64))
    assert gx.tolist() == [3.0, -10.0] and gw.tolist() == [1.0, 20.0]
    assert x.grad.tolist() == [100.0, 100.0] and w.grad is None


def test_grad_of_a_non_leaf_and_of_a_single_input():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    (gh,) = tg.grad((h * h).sum(), h)
    assert gh.tolist() == [6.0, 12.0]


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match=r"inputs\[1\].*not used.*allow_unused=True"):
        tg.grad(y, [x, unused], retain_graph=True)
    gx, gu = tg.grad(y, [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_grad_input_must_require_grad_and_outputs_must_be_tensors():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match=r"inputs\[0\].*does not require grad"):
        tg.grad((x * 2.0).sum(), [tg.tensor([1.0])])
    with pytest.raises(TypeError, match="expected a Tensor"):
        tg.grad([1.0], [x])
    with pytest.raises(ValueError, match="2 outputs but 1 gradients"):
        tg.grad([x * 1.0, x * 2.0], [x], grad_outputs=[tg.ones(1)])


def test_grad_create_graph_gives_second_derivatives():
    x = leaf(0.5)
    (g,) = tg.grad(x.sin(), x, create_graph=True)
    (h,) = tg.grad(g, x)
    assert g.item() == pytest.approx(np.cos(0.5)) and h.item() == pytest.approx(-np.sin(0.5))


class ScaledProduct(Function):
    """f(a, b, k) = k * a * b, checking what the context hands to backward."""

    seen: dict = {}

    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return k * a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        ScaledProduct.seen = {"needs": ctx.needs_input_grad, "a": a, "b": b}
        grad_a = grad_out * b * ctx.k if ctx.needs_input_grad[0] else None
        grad_b = grad_out * a * ctx.k if ctx.needs_input_grad[1] else None
        return grad_a, grad_b, None


def test_custom_function_with_saved_tensors_and_needs_input_grad():
    a = leaf([1.0, 2.0])
    b = tg.tensor([3.0, 4.0], dtype=np.float64)
    y = ScaledProduct.apply(a, b, 2.0)
    assert y.grad_fn.name() == "ScaledProductBackward"
    y.sum().backward()
    assert a.grad.tolist() == [6.0, 8.0] and b.grad is None
    assert ScaledProduct.seen["needs"] == (True, False, False)
    assert ScaledProduct.seen["a"] is a and ScaledProduct.seen["b"] is b  # saved inputs stay the inputs


def test_custom_function_is_differentiable_twice_through_saved_inputs():
    a = leaf(1.5)
    b = leaf(2.0)
    y = ScaledProduct.apply(a, b, 3.0)
    (ga,) = tg.grad(y, a, create_graph=True)  # 3 b
    (gb,) = tg.grad(ga, b)                    # 3
    assert ga.item() == 6.0 and gb.item() == 3.0


def test_custom_function_without_tensor_arguments_is_refused():
    with pytest.raises(TypeError, match="needs at least one Tensor"):
        ScaledProduct.apply(np.ones(2), np.ones(2), 1.0)


def test_wrong_shape_gradient_names_op_input_and_both_shapes():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y.sum()

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out, grad_out.sum(0, keepdims=True)  # (1, 3) for an input of shape (3,)

    x = leaf(np.ones((2, 3)))
    y = leaf(np.ones(3))
    with pytest.raises(RuntimeError, match=r"WrongShape\.backward returned grad of shape \(1, 3\) for input 1 of shape "
                                           r"\(3,\)") as caught:
        WrongShape.apply(x, y).sum().backward()
    error = caught.value
    assert isinstance(error, tg.autograd.GradientShapeError)
    assert (error.op, error.input_index, error.expected, error.got) == ("WrongShape", 1, (3,), (1, 3))


def test_wrong_gradient_count_is_reported():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, scale):
            return x * scale

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * ctx.inputs[1]

    with pytest.raises(RuntimeError, match=r"TooFew\.backward returned 1 gradients for 2 forward arguments"):
        TooFew.apply(leaf([1.0]), 2.0).sum().backward()


def test_backward_returning_a_non_tensor_is_reported():
    class ReturnsString(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad_out):
            return "oops"

    with pytest.raises(TypeError, match=r"ReturnsString\.backward returned a str for input 0"):
        ReturnsString.apply(leaf([1.0])).sum().backward()


def test_backward_may_return_numpy_arrays():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad_out):
            return 2 * grad_out.data

    x = leaf([1.0, 2.0])
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and isinstance(x.grad, tg.Tensor)


def test_function_without_forward_raises_a_clear_error():
    class Empty(Function):
        pass

    with pytest.raises(TypeError, match="must define forward"):
        Empty.apply(leaf([1.0]))


def test_backward_of_a_leaf_itself_and_through_multiple_roots():
    x = leaf([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    assert x.grad.tolist() == [3.0, 4.0]
    x.grad = None
    tg.autograd.backward([(x * 2.0).sum(), (x * x).sum()])
    assert x.grad.tolist() == [4.0, 6.0]


def test_next_functions_and_is_leaf():
    x = leaf([1.0])
    y = x * 2.0
    z = y + x
    assert x.is_leaf and not y.is_leaf and not z.is_leaf
    assert z.grad_fn.next_functions == ((y.grad_fn, 0), (None, 0))
    assert tg.tensor([1.0]).is_leaf


@pytest.mark.parametrize("create_graph", [False, True])
def test_summed_gradients_of_a_zero_dim_tensor_stay_arrays(create_graph):
    # NumPy adds two 0-d arrays into a scalar, whose fill() and [...] = write nowhere: a .grad
    # accumulated that way ignored zero_() and kept its old value.
    x = tg.tensor(1.0, requires_grad=True)
    y = x * 3
    (y + y).backward(create_graph=create_graph)  # fan-in: two gradients of y are summed
    (x * 2).backward(create_graph=create_graph)  # accumulation into the existing .grad
    assert type(x.grad.data) is np.ndarray and x.grad.data.shape == ()
    assert x.grad.item() == 8.0
    x.grad.zero_()
    assert x.grad.item() == 0.0


class ProductReturningInputs(Function):
    """d(x*y)/dx = y and d(x*y)/dy = x for a gradient of ones: backward hands back the inputs themselves."""

    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.inputs
        return y, x


class ProductReturningInputArrays(Function):
    """The same, handing back the inputs' arrays (a backward may return NumPy arrays)."""

    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.inputs
        return y.data, x.data


@pytest.mark.parametrize("op", [ProductReturningInputs, ProductReturningInputArrays])
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_gradient_that_is_an_input_itself_is_copied_into_grad(create_graph, op):
    # Without the copy a.grad shared b's memory, and a.grad.zero_() zeroed b.
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    op.apply(a, b).sum().backward(create_graph=create_graph)
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]
    assert not np.shares_memory(a.grad.data, b.data) and not np.shares_memory(b.grad.data, a.data)
    with tg.no_grad():
        a.grad.zero_()
    assert b.tolist() == [3.0, 4.0]
