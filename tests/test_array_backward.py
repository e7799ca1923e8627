"""Backward on arrays: an `array_backward` op's plain backward computes on NumPy arrays.

The same formula runs on arrays in a plain backward and on Tensors under create_graph, so the two
must agree for every op in the OpSpec table; a plain backward through the ops a training step
uses makes no Tensor op at all (no Context is built); arrays reach a user's Function in a plain
backward and Tensors under create_graph; version checks and gradient checks still hold.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.functional as F
from op_specs import OP_SPECS, OpSpec
from tinygrad_edu.autograd import function as function_module
from tinygrad_edu.autograd.engine import GradientShapeError
from tinygrad_edu.autograd.function import Function, SavedVersionError


def _outputs(result):
    return list(result) if isinstance(result, tuple | list) else [result]


def _first_derivatives(spec: OpSpec, arrays, cotangents, create_graph: bool):
    xs = [tg.tensor(a, requires_grad=True) for a in arrays]
    grads = tg.grad(_outputs(spec.fn(*xs)), xs, [tg.tensor(c) for c in cotangents], create_graph=create_graph,
                    allow_unused=True)
    return [None if g is None else g.data for g in grads]


@pytest.mark.parametrize("spec", OP_SPECS, ids=str)
def test_plain_backward_equals_the_recorded_one(spec: OpSpec):
    @settings(max_examples=max(3, settings().max_examples // 10))
    @given(spec.inputs(), st.integers(0, 2**32 - 1))
    def check(arrays, seed):
        rng = np.random.default_rng(seed)
        cotangents = [rng.standard_normal(o.shape) for o in _outputs(spec.fn(*[tg.tensor(a) for a in arrays]))]
        plain = _first_derivatives(spec, arrays, cotangents, create_graph=False)
        recorded = _first_derivatives(spec, arrays, cotangents, create_graph=True)
        for p, r in zip(plain, recorded):
            assert (p is None) == (r is None)
            if p is not None:
                assert p.dtype == r.dtype
                np.testing.assert_allclose(p, r, rtol=1e-10, atol=1e-12)

    check()


def _library_functions() -> list[type[Function]]:
    found, pending = [], list(Function.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("tinygrad_edu.ops"):
            found.append(cls)
    return found


# One expression per array_backward op of the library, in float32 as a training step runs it.
rng = np.random.default_rng(0)
X = rng.standard_normal((4, 6)).astype(np.float32)
IMAGES = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
EXPRESSIONS = {
    "Add": lambda x: x + x.exp(),
    "Sub": lambda x: x - x.exp(),
    "Mul": lambda x: x * x,
    "Div": lambda x: x / (x * x + 1.0),
    "Neg": lambda x: -x,
    "Exp": lambda x: x.exp(),
    "Log": lambda x: (x * x + 1.0).log(),
    "Sqrt": lambda x: (x * x + 1.0).sqrt(),
    "Tanh": lambda x: x.tanh(),
    "Sigmoid": lambda x: x.sigmoid(),
    "ReLU": lambda x: x.relu(),
    "Linear": lambda x: F.linear(x, x[:3] * 1.0, x[0, :3] * 1.0),
    "SoftmaxCrossEntropy": lambda x: F.cross_entropy(x, np.array([0, 5, 2, 1])),
    "BatchNormTrain": lambda x: F.batch_norm(x, None, None, x[0] * 1.0, x[1] * 1.0, training=True),
    "MaxPool2d": lambda x: F.max_pool2d(x.reshape(2, 3, 2, 2), 2, 1, padding=1),
    "Conv2d": lambda x: F.conv2d(x.reshape(2, 3, 2, 2), (x[:2] * 1.0).reshape(2, 3, 1, 2), x[0, :2] * 1.0,
                                 padding=1),
    "Reshape": lambda x: x.reshape(3, 8),
}


def _names_in_graph(out) -> set[str]:
    names, pending = set(), [out.grad_fn]
    while pending:
        node = pending.pop()
        if node is not None and node.name() not in names:
            names.add(node.name())
            pending.extend(edge[0] for edge in node.next_functions)
    return names


def test_every_array_backward_op_has_an_expression_here():
    flagged = {cls.__name__ for cls in _library_functions() if cls.array_backward}
    assert flagged == set(EXPRESSIONS)


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_each_array_backward_op_agrees_with_its_recorded_backward(name):
    results = []
    for create_graph in (False, True):
        x = tg.tensor(X, requires_grad=True)
        out = EXPRESSIONS[name](x)
        assert f"{name}Backward" in _names_in_graph(out)
        cotangent = tg.tensor(np.random.default_rng(1).standard_normal(out.shape).astype(np.float32))
        (grad,) = tg.grad(out, x, cotangent, create_graph=create_graph)
        assert grad.dtype == np.float32 and (create_graph or not grad.requires_grad)
        results.append(grad.data)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)


def test_a_plain_training_step_backward_builds_no_tensor_op(monkeypatch):
    net = tg.nn.Sequential(tg.nn.Linear(6, 5), tg.nn.ReLU(), tg.nn.BatchNorm1d(5), tg.nn.Sigmoid(),
                           tg.nn.Linear(5, 3))
    loss = F.cross_entropy(net(tg.tensor(X)), np.array([0, 2, 1, 1]))
    built = []
    original = function_module.Context.__init__

    def counting(self, function):
        built.append(function.__name__)
        original(self, function)

    monkeypatch.setattr(function_module.Context, "__init__", counting)
    loss.backward()
    assert built == []  # every node's backward ran on arrays: no op was applied, recorded or not
    assert all(p.grad is not None and p.grad.dtype == np.float32 for p in net.parameters())


def test_a_plain_backward_makes_a_tensor_only_for_each_parameters_grad(monkeypatch):
    # Gradients travel between nodes as arrays, and a ReLU's backward reads its output's array
    # even after the output Tensor is gone: the only Tensors made are the seed and one .grad each.
    net = tg.nn.Sequential(tg.nn.Linear(6, 5), tg.nn.ReLU(), tg.nn.Linear(5, 5), tg.nn.ReLU(), tg.nn.Linear(5, 3))
    loss = F.cross_entropy(net(tg.tensor(X)), np.array([0, 2, 1, 1]))
    made = []
    original = tg.Tensor._from_op

    def counting(array, grad_fn, output_nr=0, version_counter=None):
        made.append(array.shape)
        return original(array, grad_fn, output_nr, version_counter)

    monkeypatch.setattr(tg.Tensor, "_from_op", staticmethod(counting))
    loss.backward()
    parameters = list(net.parameters())
    assert sorted(made) == sorted([()] + [p.shape for p in parameters])  # the seed d loss/d loss = 1, the .grads
    assert all(p.grad is not None for p in parameters)


class Scale(Function):
    """A user's op on arrays: d(x * k)/dx = k"""

    array_backward = True
    seen: list = []

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        return x * k

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        _, k = ctx.inputs
        Scale.seen.append((type(grad_out), type(x), type(ctx.inputs[0]), type(ctx.output)))
        return grad_out * k + x * 0.0, None


def test_a_users_array_backward_gets_arrays_plain_and_tensors_under_create_graph():
    Scale.seen.clear()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x, 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    (g,) = tg.grad(Scale.apply(x, 3.0).sum(), x, create_graph=True)
    assert g.requires_grad
    assert Scale.seen[0] == (np.ndarray,) * 4
    assert Scale.seen[1] == (tg.Tensor,) * 4


def test_version_check_still_guards_a_backward_on_arrays():
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (x * 1.0).relu()  # ReLU saves its output
    total = y.sum()
    y.mul_(2)
    with pytest.raises(SavedVersionError, match="modified by an inplace operation"):
        total.backward()
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0])
    z = (a * b).sum()
    b.mul_(5)
    with pytest.raises(SavedVersionError, match="version 1; expected version 0"):
        z.backward()


class WrongShape(Function):
    """A planted bug in a backward on arrays: the gradient has the wrong shape."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.sum(axis=0)


def test_a_wrong_shape_from_a_backward_on_arrays_is_reported():
    x = tg.tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.raises(GradientShapeError) as caught:
        WrongShape.apply(x).sum().backward()
    assert (caught.value.op, caught.value.input_index, caught.value.expected, caught.value.got) == \
        ("WrongShape", 0, (3, 2), (2,))


def test_an_error_inside_a_backward_on_arrays_leaves_the_node_usable_for_create_graph():
    class FailsOnce(Function):
        """d(2x)/dx = 2, after one planted failure on arrays"""

        array_backward = True
        failed = False

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            if not FailsOnce.failed:
                FailsOnce.failed = True
                raise ValueError("planted")
            assert isinstance(ctx.inputs[0], tg.Tensor)
            return grad_out * 2

    x = tg.tensor([1.0], requires_grad=True)
    y = FailsOnce.apply(x).sum()
    with pytest.raises(ValueError, match="planted"):
        y.backward(retain_graph=True)
    (g,) = tg.grad(y, x, create_graph=True)
    assert g.data.tolist() == [2.0]


@pytest.mark.parametrize("spec", OP_SPECS, ids=str)
def test_no_library_op_hands_back_a_forward_value_as_a_gradient(spec: OpSpec):
    # The engine copies such a gradient only for users' Functions (Function.library_op): a .grad
    # sharing an input's memory would let grad.zero_() change that input.
    @settings(max_examples=max(3, settings().max_examples // 10))
    @given(spec.inputs())
    def check(arrays):
        xs = [tg.tensor(a, requires_grad=True) for a in arrays]
        outs = _outputs(spec.fn(*xs))
        tg.autograd.backward([o for o in outs if o.requires_grad],
                             [tg.ones_like(o) for o in outs if o.requires_grad])
        for x in xs:
            if x.grad is not None:
                assert not any(np.shares_memory(x.grad.data, y.data) for y in xs + outs)

    check()
