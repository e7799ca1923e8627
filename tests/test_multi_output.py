"""Multi-output Functions: edges name (node, output_nr), one gradient per output, PyTorch's ctx API.

PyTorch (optional) is the oracle for values and gradients of custom two-output Functions: unused
outputs, outputs in separate branches, non-differentiable outputs, saved outputs, second order.
Also: max/min(dim), sort, topk, split/chunk/unbind as single nodes, and the one-delivery rules
(every .grad owns a writable array; retain_grad on several non-leaves).
"""
import gc

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Function


class SinCos(Function):
    """d sin(x)/dx = cos(x),  d cos(x)/dx = -sin(x)"""

    @staticmethod
    def forward(ctx, x):
        return np.sin(x), np.cos(x)

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.inputs
        return grad_sin * x.cos() - grad_cos * x.sin()


class ExpAndSquare(Function):
    """Saves its first output: d exp(x)/dx = exp(x),  d x^2/dx = 2x"""

    @staticmethod
    def forward(ctx, x):
        e = np.exp(x)
        ctx.save_for_backward(e)
        return e, x * x

    @staticmethod
    def backward(ctx, grad_exp, grad_square):
        (e,) = ctx.saved_tensors
        assert e is ctx.outputs[0]  # the saved output comes back as the output itself, with its edge
        return grad_exp * e + grad_square * 2 * ctx.inputs[0]


X = np.array([0.3, -1.2, 2.0])


def leaf(values=X):
    return tg.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_two_outputs_values_and_gradients_in_separate_branches():
    x = leaf()
    s, c = SinCos.apply(x)
    assert s.grad_fn is c.grad_fn and (s.output_nr, c.output_nr) == (0, 1)
    ((s * 2.0).sum() + (c * c).sum()).backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.cos(X) - 2 * np.cos(X) * np.sin(X), rtol=1e-12)


def test_an_unused_output_gets_zeros_and_set_materialize_grads_false_gives_none():
    seen = []

    class Recorder(Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            seen.append(grad_b if grad_b is None else grad_b.tolist())
            return grad_a * 2, None

    x = leaf()
    Recorder.apply(x, True)[0].sum().backward()
    Recorder.apply(x, False)[0].sum().backward()
    assert seen == [[0.0, 0.0, 0.0], None]
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_mark_non_differentiable_output_has_no_grad_fn():
    x = leaf()
    values, indices = x.max(0)
    assert values.requires_grad and not indices.requires_grad and indices.grad_fn is None
    assert indices.dtype == np.int64


def test_a_saved_output_comes_back_as_that_output():
    x = leaf()
    e, sq = ExpAndSquare.apply(x)
    (e.sum() + sq.sum()).backward()
    np.testing.assert_allclose(x.grad.data, np.exp(X) + 2 * X, rtol=1e-12)


def test_one_output_object_per_node_and_index():
    x = leaf()
    s, c = SinCos.apply(x)
    node = s.grad_fn
    assert node.outputs[0] is s and node.outputs[1] is c
    del c
    gc.collect()
    rebuilt = node.outputs[1]
    assert rebuilt is node.outputs[1] and rebuilt.output_nr == 1 and rebuilt.grad_fn is node


def test_second_order_through_a_two_output_function():
    x = leaf()
    s, c = SinCos.apply(x)
    (g,) = tg.grad((s * c).sum(), x, create_graph=True)  # d(sin cos)/dx = cos^2 - sin^2 = cos 2x
    np.testing.assert_allclose(g.data, np.cos(2 * X), rtol=1e-12)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, -2 * np.sin(2 * X), rtol=1e-12)


def test_gradcheck_and_gradgradcheck_accept_multi_output_functions():
    x = leaf()
    assert tg.gradcheck(SinCos.apply, [x])
    assert tg.gradgradcheck(SinCos.apply, [x])
    assert tg.gradcheck(lambda t: t.reshape(3, 1).max(1, keepdim=True), [leaf([0.1, 0.7, 0.4])])


def test_custom_two_output_function_matches_pytorch():
    torch = pytest.importorskip("torch")

    class TorchSinCos(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            (x,) = ctx.saved_tensors
            return grad_sin * x.cos() - grad_cos * x.sin()

    def ours_and_theirs(make):
        x, xt = leaf(), torch.tensor(X, requires_grad=True)
        make(SinCos.apply, x).backward()
        make(TorchSinCos.apply, xt).backward()
        np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12)

    ours_and_theirs(lambda f, x: f(x)[1].sum())                      # the first output unused
    ours_and_theirs(lambda f, x: (f(x)[0] * f(x)[1]).sum())           # two nodes, one output each
    ours_and_theirs(lambda f, x: (lambda s, c: (s * 3 + c).sum())(*f(x)))  # both outputs, two branches


def test_max_min_sort_topk_match_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([[0.5, -1.0, 2.5, 0.1], [3.0, 0.2, -0.7, 1.4]])
    cotangent = np.random.default_rng(0).standard_normal((2, 4))
    cases = [
        lambda t: t.max(1).values, lambda t: t.min(0, keepdim=True).values, lambda t: t.max(),
        lambda t: t.sort(1).values, lambda t: t.sort(0, descending=True).values,
        lambda t: t.topk(2, dim=1).values, lambda t: t.topk(1, dim=0, largest=False).values,
    ]
    for case in cases:
        x, xt = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        ours, theirs = case(x), case(xt)
        np.testing.assert_allclose(ours.data, theirs.detach().numpy())
        u = cotangent[: ours.shape[0], : ours.shape[1]] if ours.ndim == 2 else cotangent[0, : ours.numel()].reshape(
            ours.shape)
        (ours * tg.tensor(u)).sum().backward()
        (theirs * torch.tensor(u)).sum().backward()
        np.testing.assert_allclose(x.grad.data, xt.grad.numpy())
    x, xt = tg.tensor(data), torch.tensor(data)
    for ours, theirs in [(x.max(1), xt.max(1)), (x.min(0), xt.min(0)), (x.sort(1, descending=True),
                         xt.sort(1, descending=True)), (x.topk(3), xt.topk(3))]:
        assert type(ours).__name__ == type(theirs).__name__.split(".")[-1]
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


def test_max_dim_gives_the_gradient_to_the_index_it_returns():
    x = leaf([[2.0, 2.0, 1.0]])
    values, indices = x.max(1)
    values.sum().backward()
    assert indices.tolist() == [0] and x.grad.tolist() == [[1.0, 0.0, 0.0]]
    x.grad = None
    x.amax(1).sum().backward()
    assert x.grad.tolist() == [[0.5, 0.5, 0.0]]  # amax shares it among ties
    with pytest.raises(TypeError, match="amax"):
        x.max((0, 1))


def test_split_chunk_unbind_are_one_node_and_views():
    x = leaf(np.arange(6.0).reshape(2, 3))
    for pieces in (x.split([1, 2], dim=1), x.chunk(2, dim=1), x.unbind(0)):
        assert len({id(p.grad_fn) for p in pieces}) == 1
        assert [p.output_nr for p in pieces] == list(range(len(pieces)))
    a, b = x.unbind(0)
    assert a.shape == (3,) and np.shares_memory(a.data, x.data)
    (b * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]
    with tg.trace_backward() as trace:
        x.split(1, dim=1)[2].sum().backward()
    assert [step.node for step in trace.steps] == ["SumBackward", "SplitBackward"]


def test_retained_grads_are_writable_and_never_shared():
    x = leaf()
    a = x * 1.0
    b = a + 0.0
    a.retain_grad()
    b.retain_grad()
    c = b * 1.0
    c.retain_grad()
    c.sum().backward()
    for t in (a, b, c, x):
        assert t.grad.data.flags.writeable
    a.grad.zero_()
    assert b.grad.tolist() == c.grad.tolist() == x.grad.tolist() == [1.0, 1.0, 1.0]
    assert len({id(t.grad.data) for t in (a, b, c, x)}) == 4


def test_implicit_gradient_needs_a_scalar_in_pytorchs_words():
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (leaf() * 2.0).backward()
