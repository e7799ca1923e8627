"""Performance invariants that are correctness properties: freeing, no cycles, linear backward.

No timing here (machines are noisy): linearity is checked by counting Python calls made by
backward, memory by reference counting with the garbage collector switched off, and by
tracemalloc over 2,000 training steps.
"""
import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.functional as F
from tinygrad_edu.autograd.function import Context


def _small_net(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = [tg.tensor(rng.standard_normal((16, 8)) * 0.3, requires_grad=True), tg.zeros(16, requires_grad=True),
              tg.tensor(rng.standard_normal((3, 16)) * 0.3, requires_grad=True), tg.zeros(3, requires_grad=True)]
    x = tg.tensor(rng.standard_normal((32, 8)))
    t = rng.integers(0, 3, 32)
    return params, x, t


def _train_step(params, x, t) -> float:
    w1, b1, w2, b2 = params
    loss = F.cross_entropy(F.linear(F.linear(x, w1, b1).relu(), w2, b2), t)
    for p in params:
        p.grad = None
    loss.backward()
    with tg.no_grad():
        for p in params:
            p.data -= 0.1 * p.grad.data
    return loss.item()


def test_graph_is_freed_by_reference_counting_alone():
    """With the cycle collector off, dropping the loss frees every node and intermediate tensor."""
    params, x, t = _small_net()
    gc.disable()
    try:
        hidden = F.linear(x, params[0], params[1]).relu()
        loss = F.cross_entropy(F.linear(hidden, params[2], params[3]), t)
        node_refs = [weakref.ref(loss.grad_fn), weakref.ref(hidden.grad_fn)]
        tensor_ref = weakref.ref(hidden)
        loss.backward()
        del hidden, loss
        assert all(ref() is None for ref in node_refs), "a graph node outlived its tensors: reference cycle"
        assert tensor_ref() is None
    finally:
        gc.enable()


def test_backward_frees_saved_values_unless_retained():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    node = y.grad_fn
    y.backward()
    assert node.freed and node.args == () and node.output_arrays == ()
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    assert not z.grad_fn.freed and len(z.grad_fn.inputs) == 3


def _python_calls_during_backward(length: int) -> int:
    x = tg.tensor([1.0], requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(length):
        y = y * 1.0001
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        y.backward()
    finally:
        sys.setprofile(None)
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** length], rtol=1e-9)
    return calls


def test_backward_work_grows_linearly_with_chain_length():
    """Python calls per op are the same for a chain of 1,000 and of 8,000 ops (no quadratic step)."""
    short, long = _python_calls_during_backward(1000), _python_calls_during_backward(8000)
    assert 7.5 < long / short < 8.5, f"{short} calls for 1,000 ops but {long} for 8,000"


def test_no_memory_growth_over_two_thousand_steps():
    """Traced memory is flat over 2,000 steps once allocator caches have filled (first 3,000 steps)."""
    params, x, t = _small_net()
    tracemalloc.start()
    try:
        for _ in range(3000):  # NumPy's and Python's small-block caches fill up here, then stay
            _train_step(params, x, t)
        early, _ = tracemalloc.get_traced_memory()
        for _ in range(2000):
            _train_step(params, x, t)
        late, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert late - early < 16 * 1024, f"memory grew by {(late - early) / 1024:.1f} KiB over 2,000 steps"
    assert sum(type(o) is Context for o in gc.get_objects()) == 0, "graph nodes survived their step"


@pytest.mark.parametrize("retain", [False, True])
def test_training_step_leaves_no_graph_alive(retain):
    params, x, t = _small_net()
    loss = F.cross_entropy(F.linear(F.linear(x, params[0], params[1]).relu(), params[2], params[3]), t)
    loss.backward(retain_graph=retain)
    del loss
    assert not any(type(o) is Context for o in gc.get_objects())
