"""trace_backward: the recorded steps of known graphs, checked one by one against hand-computed values."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import tinygrad_edu as tg
from tinygrad_edu.autograd import engine
from tinygrad_edu.trace import (CAPTURED, CAPTURED_SUM, FAN_IN_SUM, GRAD_ACCUMULATED, GRAD_SET, HANDED_ON,
                                NOT_REQUESTED, GradientFlow)

HELD = ("inputs", "outputs")


def leaf(value, name):
    return tg.tensor(value, dtype=np.float64, requires_grad=True, name=name)


def diamond(x_value=1.5):
    x = leaf(x_value, "x")
    a = x * 2
    a.name = "a"
    b = x * 3
    b.name = "b"
    y = a * b
    y.name = "y"
    return x, a, b, y


def test_diamond_steps_in_order():
    x, a, b, y = diamond(1.5)
    nodes = (y.grad_fn, a.grad_fn, b.grad_fn)
    with tg.trace_backward() as trace:
        y.backward()
    # Topological order: y first, then b before a (the first argument is finished first, then reversed).
    assert [(s.position, s.node, s.output) for s in trace.steps] == [
        (0, "MulBackward", "y"), (1, "MulBackward", "b"), (2, "MulBackward", "a")]
    y_step, b_step, a_step = trace.steps
    assert (y_step.grad_shape, y_step.grad_norm, y_step.seed, y_step.contributions) == ((), 1.0, True, 1)
    # dy/da = b = 4.5 goes to a's node (#2), dy/db = a = 3 to b's node (#1).
    assert y_step.flows == (GradientFlow(0, "a", (), 4.5, "MulBackward #2", HANDED_ON),
                            GradientFlow(1, "b", (), 3.0, "MulBackward #1", HANDED_ON))
    assert (b_step.grad_norm, b_step.seed) == (3.0, False)
    assert b_step.flows == (GradientFlow(0, "x", (), 9.0, "x.grad", GRAD_SET),)  # the 3 is not a tensor
    assert a_step.grad_norm == 4.5
    assert a_step.flows == (GradientFlow(0, "x", (), 9.0, "x.grad", GRAD_ACCUMULATED),)
    assert x.grad.item() == 12 * 1.5  # y = 6 x^2: the two 9s added
    assert [s.freed for s in trace.steps] == [HELD] * 3
    assert all(node.freed for node in nodes)
    assert all(s.summed_axes is None and not s.retained for s in trace.steps)
    run, = trace.runs
    assert (run.roots, run.seed_shapes, run.nodes, run.retain_graph, run.grad_call) == (("y",), ((),), 3, False, False)


def test_fan_in_at_a_non_leaf_is_summed_before_its_node_runs():
    x = leaf(0.5, "x")
    h = x.exp()
    h.name = "h"
    y = (h * 2) * (h * 3)
    with tg.trace_backward() as trace:
        y.backward()
    names = [s.node for s in trace.steps]
    assert names == ["MulBackward", "MulBackward", "MulBackward", "ExpBackward"]
    events = [f.event for s in trace.steps[1:3] for f in s.flows]
    assert events == [HANDED_ON, FAN_IN_SUM]
    exp_step = trace.steps[3]
    h_value = np.exp(0.5)
    assert (exp_step.output, exp_step.contributions) == ("h", 2)
    assert exp_step.grad_norm == pytest.approx(12 * h_value, rel=1e-14)  # d(6 h^2)/dh = 12 h
    assert exp_step.flows == (GradientFlow(0, "x", (), pytest.approx(12 * h_value ** 2, rel=1e-14), "x.grad",
                                           GRAD_SET),)


def test_same_tensor_twice_in_one_node_accumulates_within_the_step():
    x = leaf([1.0, -2.0], "x")
    with tg.trace_backward() as trace:
        (x * x).sum().backward()
    mul = trace.steps[1]
    assert [(f.input, f.to, f.event) for f in mul.flows] == [(0, "x.grad", GRAD_SET), (1, "x.grad", GRAD_ACCUMULATED)]
    np.testing.assert_array_equal(x.grad.data, [2.0, -4.0])


def test_broadcasting_graph_steps():
    a = leaf(np.arange(3.0).reshape(3, 1), "a")
    b = leaf(np.arange(4.0).reshape(1, 4), "b")
    cotangent = np.random.default_rng(0).standard_normal((3, 4))
    s = a + b
    s.name = "s"
    broadcast_a, broadcast_b = s.grad_fn.inputs
    with tg.trace_backward() as trace:
        s.backward(cotangent)
    # Order: Add, then b's BroadcastTo (#1), then a's (#2).
    assert [(s.position, s.node, s.output) for s in trace.steps] == [
        (0, "AddBackward", "s"), (1, "BroadcastToBackward", None), (2, "BroadcastToBackward", None)]
    add, to_b, to_a = trace.steps
    norm = float(np.linalg.norm(cotangent))
    assert (add.grad_shape, add.seed, add.summed_axes) == ((3, 4), True, None)
    assert add.grad_norm == pytest.approx(norm, rel=1e-14)
    assert [(f.input, f.label, f.shape, f.to, f.event) for f in add.flows] == [
        (0, "<BroadcastTo output>", (3, 4), "BroadcastToBackward #2", HANDED_ON),
        (1, "<BroadcastTo output>", (3, 4), "BroadcastToBackward #1", HANDED_ON)]
    assert (to_b.grad_shape, to_b.summed_axes) == ((3, 4), (0,))
    assert (to_a.grad_shape, to_a.summed_axes) == ((3, 4), (1,))
    expected_b = cotangent.sum(axis=0, keepdims=True)
    expected_a = cotangent.sum(axis=1, keepdims=True)
    assert to_b.flows == (GradientFlow(0, "b", (1, 4), pytest.approx(np.linalg.norm(expected_b), rel=1e-14),
                                       "b.grad", GRAD_SET),)
    assert to_a.flows == (GradientFlow(0, "a", (3, 1), pytest.approx(np.linalg.norm(expected_a), rel=1e-14),
                                       "a.grad", GRAD_SET),)
    np.testing.assert_allclose(a.grad.data, expected_a, rtol=1e-14)
    np.testing.assert_allclose(b.grad.data, expected_b, rtol=1e-14)
    assert [s.freed for s in trace.steps] == [HELD] * 3
    assert broadcast_a.grad_fn.freed and broadcast_b.grad_fn.freed
    assert trace.runs[0].seed_shapes == ((3, 4),)


@given(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
def test_broadcast_steps_name_the_axes_numpy_sums(shapes):
    shape_a, shape_b = shapes.input_shapes
    a = leaf(np.ones(shape_a), "a")
    b = leaf(np.full(shape_b, 2.0), "b")
    out = a * b
    with tg.trace_backward() as trace:
        out.backward(np.ones(shapes.result_shape))
    for step in trace.steps:
        if step.node != "BroadcastToBackward":
            continue
        flow, = step.flows
        input_shape = flow.shape
        lead = len(shapes.result_shape) - len(input_shape)
        expected = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(input_shape) if n == 1 and shapes.result_shape[lead + i] != 1)
        assert step.summed_axes == expected
        assert np.ones(shapes.result_shape).sum(axis=expected, keepdims=False).size == np.prod(input_shape)
    # Every leaf's .grad was set by exactly one flow whose norm is the final gradient's norm.
    for x in (a, b):
        flows = [f for s in trace.steps for f in s.flows if f.to == f"{x.name}.grad"]
        assert [f.event for f in flows] == [GRAD_SET]
        assert flows[0].norm == pytest.approx(float(np.linalg.norm(x.grad.data)), rel=1e-12)


def test_tracing_changes_nothing_the_engine_computes():
    def run(traced):
        tg.manual_seed(3)
        w = tg.randn(4, 3, requires_grad=True)
        x = tg.randn(5, 4)
        b = tg.zeros(3, requires_grad=True)
        h = (x @ w + b).tanh()
        loss = (h * h).mean() + h.sum()
        nodes = []
        if traced:
            with tg.trace_backward() as trace:
                loss.backward()
            assert len(trace.steps) > 5
        else:
            loss.backward()
        nodes.append(h.grad_fn.freed)
        return w.grad.data.copy(), b.grad.data.copy(), nodes

    plain, traced = run(False), run(True)
    np.testing.assert_array_equal(plain[0], traced[0])
    np.testing.assert_array_equal(plain[1], traced[1])
    assert plain[2] == traced[2] == [True]
    assert engine.tracer is None


def test_retain_graph_frees_nothing_and_second_pass_accumulates():
    x, a, b, y = diamond(2.0)
    with tg.trace_backward() as trace:
        y.backward(retain_graph=True)
        y.backward()
    assert [run.retain_graph for run in trace.runs] == [True, False]
    first = [s for s in trace.steps if s.run == 0]
    second = [s for s in trace.steps if s.run == 1]
    assert all(s.freed == () for s in first) and all(s.freed == HELD for s in second)
    assert [f.event for s in second for f in s.flows if f.to == "x.grad"] == [GRAD_ACCUMULATED] * 2
    assert x.grad.item() == 2 * 12 * 2.0
    text = str(trace)
    assert "backward #0 from y: 3 nodes, retain_graph=True" in text
    assert "backward #1 from y: 3 nodes, retain_graph=False" in text


def test_retain_grad_is_reported():
    x = leaf([1.0, 2.0], "x")
    h = x * 3
    h.name = "h"
    h.retain_grad()
    with tg.trace_backward() as trace:
        h.sum().backward()
    assert [(s.output, s.retained) for s in trace.steps] == [(None, False), ("h", True)]
    assert str(trace).splitlines()[4].split()[:5] == ["#1", "MulBackward", "(h)", "(2,)", "|1.414|,"]
    assert "kept in .grad" in str(trace).splitlines()[4]


def test_autograd_grad_captures_and_leaves_grad_untouched():
    x = leaf([0.5, -1.0], "x")
    w = leaf([2.0, 3.0], "w")
    y = (x * x * w).sum()
    with tg.trace_backward() as trace:
        gx, = tg.grad(y, [x])
    assert trace.runs[0].grad_call
    flows = [(f.label, f.to, f.event) for s in trace.steps for f in s.flows]
    assert flows == [("<Mul output>", "MulBackward #1", HANDED_ON), ("<Mul output>", "MulBackward #2", HANDED_ON),
                     ("w", "-", NOT_REQUESTED), ("x", "grad() result", CAPTURED),
                     ("x", "grad() result", CAPTURED_SUM)]
    np.testing.assert_allclose(gx.data, [2.0, -6.0])
    assert x.grad is None and w.grad is None
    assert "autograd.grad #0" in str(trace)


def test_double_backward_is_traced_as_two_passes():
    x = leaf(0.3, "x")
    y = x.tanh()
    with tg.trace_backward() as trace:
        gx, = tg.grad(y, [x], create_graph=True)
        gx.backward()
    assert [run.create_graph for run in trace.runs] == [True, False]
    assert trace.runs[1].nodes > 1  # the backward graph of tanh has several nodes
    second = [s for s in trace.steps if s.run == 1]
    to_x = [f for s in second for f in s.flows if f.to == "x.grad"]
    t = np.tanh(0.3)
    assert x.grad.item() == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)
    assert [f.event for f in to_x] == [GRAD_SET]  # only the backward graph's TanhBackward reaches x
    assert second[-1].node == "TanhBackward" and to_x[0].norm == pytest.approx(abs(x.grad.item()), rel=1e-12)
    assert trace.steps[0].flows[0].norm == pytest.approx(1 - t * t, rel=1e-12)  # the first pass: dy/dx


def test_table_lists_every_flow_and_event():
    x, a, b, y = diamond(1.5)
    with tg.trace_backward() as trace:
        y.backward()
    lines = str(trace).splitlines()
    assert lines[0] == "backward #0 from y: 3 nodes, retain_graph=False, create_graph=False"
    assert lines[1].split() == ["step", "node", "grad", "in", "input", "grad", "out", "to", "what", "happened"]
    rows = [line.split() for line in lines[2:]]
    assert rows[0] == ["#0", "MulBackward", "(y)", "()", "|1|", "seed", "0", "a", "()", "|4.5|", "MulBackward",
                       "#2", "handed", "on"]
    assert rows[1] == ["1", "b", "()", "|3|", "MulBackward", "#1", "handed", "on"]
    assert rows[2] == ["freed:", "inputs,", "outputs"]
    assert rows[3][:4] == ["#1", "MulBackward", "(b)", "()"] and rows[3][-3:] == ["x.grad", "set", ".grad"]
    assert rows[5][-4:] == ["x.grad", "added", "to", ".grad"]
    assert len(rows) == 7


def test_broadcast_table_names_summed_axes():
    a = leaf(np.ones((3, 1)), "a")
    b = leaf(np.ones((1, 4)), "b")
    with tg.trace_backward() as trace:
        (a + b).sum().backward()
    text = str(trace)
    assert "set .grad; summed over axes (0,)" in text and "set .grad; summed over axes (1,)" in text


def test_empty_trace_says_so():
    with tg.trace_backward() as trace:
        tg.tensor([1.0]) * 2
    assert trace.steps == [] and "no backward pass ran" in str(trace)
    assert repr(trace) == "<Trace: 0 backward pass(es), 0 steps>"


def test_nested_blocks_record_innermost_and_restore():
    x = leaf(1.0, "x")
    with tg.trace_backward() as outer:
        (x * 2).backward()
        with tg.trace_backward() as inner:
            assert engine.tracer is inner
            (x * 3).backward()
        assert engine.tracer is outer
        (x * 4).backward()
    assert engine.tracer is None
    assert [s.flows[0].norm for s in outer.steps] == [2.0, 4.0]
    assert [s.flows[0].norm for s in inner.steps] == [3.0]
    assert len(outer.runs) == 2 and len(inner.runs) == 1


def test_exception_in_block_restores_the_hook():
    with pytest.raises(ValueError, match="boom"):
        with tg.trace_backward():
            raise ValueError("boom")
    assert engine.tracer is None


def test_exception_inside_backward_keeps_steps_recorded_so_far():
    class WrongCount(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out, grad_out  # two gradients for one argument

    x = leaf([1.0, 2.0], "x")
    y = WrongCount.apply(x).sum()
    with tg.trace_backward() as trace:
        with pytest.raises(RuntimeError, match="returned 2 gradients for 1 forward arguments"):
            y.backward()
    assert [s.node for s in trace.steps] == ["SumBackward"]
    assert engine.tracer is None


def test_a_trace_cannot_be_entered_twice():
    trace = tg.trace_backward()
    with trace:
        with pytest.raises(RuntimeError, match="already recording"):
            trace.__enter__()
        assert engine.tracer is trace
    assert engine.tracer is None


def test_unnamed_tensors_get_descriptive_labels():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.trace_backward() as trace:
        (x.exp() * 2).sum().backward()
    labels = [f.label for s in trace.steps for f in s.flows]
    assert labels == ["<Mul output>", "<Exp output>", "<leaf (2,)>"]
    assert trace.steps[-1].flows[0].to == "<leaf (2,)>.grad"
    assert trace.runs[0].roots == ("<Sum output>",)


@given(st.integers(min_value=1, max_value=6))
def test_chain_trace_visits_every_node_once(length):
    x = leaf([0.1, 0.2], "x")
    y = x
    for _ in range(length):
        y = y * 1.5
    with tg.trace_backward() as trace:
        y.sum().backward()
    assert [s.position for s in trace.steps] == list(range(length + 1))
    assert [s.contributions for s in trace.steps] == [1] * (length + 1)
    assert trace.steps[-1].flows[0].norm == pytest.approx(np.linalg.norm(x.grad.data), rel=1e-14)


def test_a_trace_keeps_no_graph_alive():
    import gc
    import weakref

    x = leaf([1.0, 2.0], "x")
    y = (x.exp() * x).sum()
    node = weakref.ref(y.grad_fn)
    with tg.trace_backward() as trace:
        y.backward(retain_graph=True)
    del y
    gc.collect()
    assert node() is None and len(trace.steps) == 3  # steps hold strings and numbers, not nodes


def test_a_wrong_gradient_shape_stops_the_trace_before_the_failing_node():
    class WrongShape(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out.sum()  # a scalar for a (2,) input

    x = leaf([1.0, 2.0], "x")
    y = WrongShape.apply(x * 1.0).sum()
    with tg.trace_backward() as trace:
        with pytest.raises(tg.autograd.GradientShapeError, match=r"returned grad of shape \(\) for input 0") as caught:
            y.backward()
    assert [step.node for step in trace.steps] == ["SumBackward"]  # the engine records only what it finished
    assert (caught.value.op, caught.value.got, caught.value.expected) == ("WrongShape", (), (2,))
