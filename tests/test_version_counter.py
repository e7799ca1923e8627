"""Version counters and in-place operations, as PyTorch: refuse stale saved values, rebase non-leaves.

Every case from the issue raises PyTorch's error (it gave silently wrong gradients before):
an in-place change of a tensor saved for backward (mul_, +=, copy_, no_grad mul_ of a
parameter, an optimizer step between two backward passes sharing a parameter). In-place ops on
non-leaves that nothing saved stay differentiable; item assignment is differentiable in both the
target and the value. PyTorch (optional) is the oracle for the gradients.
"""
import numpy as np
import pytest

import tinygrad_edu as tg

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace operation"


def weights():
    return tg.tensor([1.0, 2.0, 3.0], requires_grad=True)


def data():
    return tg.tensor([1.0, 1.0, 1.0])


def test_mul_in_place_of_a_saved_input_raises_naming_shape_and_versions():
    w, x = weights(), data()
    y = (w * x).sum()
    x.mul_(5)
    with pytest.raises(RuntimeError, match=MODIFIED) as caught:
        y.backward()
    assert "[3]" in str(caught.value) and "is at version 1; expected version 0 instead" in str(caught.value)
    assert "MulBackward" in str(caught.value)
    assert isinstance(caught.value, tg.autograd.SavedVersionError)


@pytest.mark.parametrize("change", [
    lambda w, x: x.__iadd__(4),
    lambda w, x: x.copy_(tg.tensor([7.0, 7.0, 7.0])),
    lambda w, x: x.zero_(),
    lambda w, x: x.__setitem__(0, 2.0),
])
def test_other_in_place_changes_of_a_saved_input_raise(change):
    w, x = weights(), data()
    y = (w * x).sum()
    change(w, x)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_plain_augmented_assignment_statement_raises():
    w, x = weights(), data()
    y = (w * x).sum()
    x += 4
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_no_grad_update_of_a_parameter_between_forward_and_backward_raises():
    w, x = weights(), data()
    y = (w * w * x).sum()
    with tg.no_grad():
        w.mul_(10)
    with pytest.raises(RuntimeError, match=r"\[3\]\] is at version 1; expected version 0"):
        y.backward()


def test_optimizer_step_between_two_backward_passes_sharing_a_parameter_raises():
    w = weights()
    opt = tg.optim.SGD([w], lr=0.1)
    first, second = (w * w).sum(), (w * w * w).sum()  # GAN-style: two losses, one shared parameter
    first.backward()
    opt.step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        second.backward()


def test_leaf_that_requires_grad_cannot_change_in_place_outside_no_grad():
    w = weights()
    for change in (lambda: w.add_(1.0), lambda: w.mul_(2.0), lambda: w.zero_(), lambda: w.__setitem__(0, 1.0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                               "operation."):
            change()
    assert w.tolist() == [1.0, 2.0, 3.0] and w._version == 0
    with tg.no_grad():
        w -= 1.0
    assert w.tolist() == [0.0, 1.0, 2.0] and w.is_leaf and w._version == 1


def test_views_share_the_version_counter_of_their_base():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    views = [x.reshape(3, 2), x.T, x[0], x.detach(), x.unbind(0)[1], x[:, 1:]]
    x.add_(1.0)
    assert x._version == 1 and all(v._version == 1 for v in views)
    views[2].mul_(2.0)
    assert x._version == 2 and x.tolist()[0] == [2.0, 4.0, 6.0]
    fresh = x * 1.0
    assert fresh._version == 0 and x[[0, 1]]._version == 0  # a copy (index array) has its own


def test_writes_through_data_are_not_tracked():
    w, x = weights(), data()
    y = (w * x).sum()
    x.data[0] = 9.0  # as in PyTorch: .data bypasses autograd's bookkeeping
    assert x._version == 0
    y.backward()
    assert w.grad.tolist() == [9.0, 1.0, 1.0]


def test_in_place_on_a_saved_output_raises():
    x = weights()
    y = x.exp()  # Exp's backward reads its output
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_in_place_on_a_view_of_a_tensor_that_requires_grad_is_refused_clearly():
    h = weights() * 2.0
    with pytest.raises(RuntimeError, match="view"):
        h[0].mul_(3.0)


def test_in_place_on_an_unsaved_non_leaf_is_rebased_and_matches_pytorch():
    torch = pytest.importorskip("torch")

    def program(lib, a, b):
        h = a * 2.0
        h.add_(1.0)            # h = 2a + 1, grad_fn rebased to the add
        h.mul_(b)              # needs the old h: kept by the rebased node
        h += a
        h[1] = b[0] * 5.0      # item assignment: a scalar from the value
        return (h * h).sum()

    a0, b0 = np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.5, -1.0])
    a, b = tg.tensor(a0, requires_grad=True), tg.tensor(b0, requires_grad=True)
    at, bt = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    program(tg, a, b).backward()
    program(torch, at, bt).backward()
    np.testing.assert_allclose(a.grad.data, at.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, bt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("index", [1, slice(0, 2), np.array([True, False, True, False]), np.array([3, 0])],
                         ids=["int", "slice", "mask", "index_array"])
def test_item_assignment_gradients_flow_to_target_history_and_value(index):
    torch = pytest.importorskip("torch")
    t0 = np.array([1.0, 2.0, 3.0, 4.0])
    size = len(np.arange(4)[index]) if not isinstance(index, int) else None
    v0 = np.array(2.5) if size is None else np.linspace(-1.0, 1.0, size)
    cotangent = np.array([0.5, -1.0, 2.0, 3.0])
    results = []
    for lib in (tg, torch):
        t, v = lib.tensor(t0, requires_grad=True), lib.tensor(v0, requires_grad=True)
        u = t * 3.0
        u[torch.as_tensor(index) if lib is torch and not isinstance(index, int | slice) else index] = v * v
        (u * lib.tensor(cotangent)).sum().backward()
        results.append((np.asarray(u.tolist()), np.asarray(t.grad.tolist()), np.asarray(v.grad.tolist())))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_item_assignment_into_a_plain_tensor_makes_it_part_of_the_graph():
    v = tg.tensor([1.0, 2.0], requires_grad=True)
    buffer = tg.zeros(4)
    buffer[1:3] = v
    assert not buffer.is_leaf and buffer.grad_fn.name() == "SetItemBackward"
    (buffer * tg.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    assert v.grad.tolist() == [10.0, 100.0]
    with tg.no_grad():
        buffer[0] = 5.0
    assert buffer.tolist() == [5.0, 1.0, 2.0, 0.0]


def test_a_version_check_does_not_fire_for_unmodified_graphs():
    w = weights()
    h = w * 2.0
    y = h.exp().sum()
    h2 = (w + 1.0) * 1.0
    h2.add_(1.0)  # h2 was never saved: rebased, no error anywhere
    (y + h2.sum()).backward()
    np.testing.assert_allclose(w.grad.data, 2 * np.exp(2 * w.data) + 1, rtol=1e-6)


@pytest.mark.parametrize("make", [lambda ps: tg.optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: tg.optim.Adam(ps)],
                         ids=["sgd_momentum", "adam"])
def test_every_optimizer_step_bumps_the_versions_of_updated_parameters(make):
    small, large, unused = (tg.tensor(np.ones(shape), requires_grad=True) for shape in ((3,), (40, 40), (2,)))
    opt = make([small, large, unused])
    ((small * small).sum() + (large * large).sum()).backward()
    opt.step()
    assert (small._version, large._version, unused._version) == (1, 1, 0)
