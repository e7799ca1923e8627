"""Tensor construction, dtype rules, factories, seeding, attributes and the user errors of issue 2."""
import numpy as np
import pytest

import tinygrad_edu as tg


def test_python_numbers_follow_pytorch_dtype_rules():
    assert tg.tensor(1.5).dtype == np.float32
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.tensor([1, 2.5]).dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor(True).dtype == np.bool_
    assert tg.Tensor([[1.0]]).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int32, np.uint8, np.bool_])
def test_numpy_arrays_and_scalars_keep_their_dtype(dtype):
    assert tg.tensor(np.zeros(3, dtype=dtype)).dtype == dtype
    assert tg.tensor(np.zeros((), dtype=dtype)[()]).dtype == dtype


def test_an_integer_tensor_meeting_a_float_tensor_takes_the_float_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for result in (x * tg.tensor([1, 2]), tg.tensor([1, 2]) - x, x / np.array([1, 2]), np.array([3, 4]) + x,
                   x * tg.tensor([True, False])):
        assert result.dtype == np.float32
    (x * tg.tensor([3, 4])).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 4.0]
    assert (tg.tensor([1, 2]) * tg.tensor([1, 2], dtype=np.int32)).dtype == np.int64  # ints: NumPy's rule
    assert (x * tg.tensor([1.0, 2.0], dtype=np.float64)).dtype == np.float64  # floats: the wider one


def test_true_division_of_integers_gives_the_default_float():
    ints = tg.arange(4)
    for result in (ints / 2, ints / tg.tensor([1, 2, 3, 4]), 1 / tg.tensor([1, 2, 4, 8]), ints / np.array(2)):
        assert result.dtype == np.float32
    assert (ints / 2).tolist() == [0.0, 0.5, 1.0, 1.5]
    assert (1 / tg.tensor([1, 2, 4, 8])).tolist() == [1.0, 0.5, 0.25, 0.125]
    tg.set_default_dtype(np.float64)
    assert (ints / 3).dtype == np.float64
    assert (ints * 2).dtype == np.int64 and (ints - tg.tensor([1, 1, 1, 1])).dtype == np.int64


def test_explicit_dtype_wins():
    assert tg.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert tg.tensor(np.ones(2), dtype="float32").dtype == np.float32


def test_set_default_dtype_changes_python_floats_and_float_factories():
    tg.set_default_dtype(np.float64)
    assert tg.get_default_dtype() == np.float64
    assert tg.tensor(1.5).dtype == np.float64
    for made in (tg.zeros(2), tg.ones(2), tg.rand(2), tg.randn(2), tg.eye(2), tg.arange(0.0, 1.0, 0.5)):
        assert made.dtype == np.float64
    assert tg.tensor([1, 2]).dtype == np.int64  # ints are not affected
    assert tg.tensor(np.ones(2, dtype=np.float32)).dtype == np.float32  # nor NumPy arrays
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        tg.set_default_dtype(np.int32)


def test_integer_and_bool_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require grad, got dtype int64"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="got dtype bool"):
        tg.tensor([True], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        tg.tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError, match="floating-point"):
        tg.arange(3, requires_grad=True)


def test_tensor_copies_its_data_and_from_numpy_shares_it():
    source = np.array([1.0, 2.0])
    copied, shared = tg.tensor(source), tg.from_numpy(source)
    source[0] = 99.0
    assert copied.tolist() == [1.0, 2.0] and shared.tolist() == [99.0, 2.0]
    again = tg.Tensor(copied)
    again.data[1] = -1.0
    assert copied.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="expects a NumPy array"):
        tg.from_numpy([1.0])


def test_non_numeric_data_is_refused():
    with pytest.raises(TypeError, match="cannot build a tensor from dict"):
        tg.tensor({"a": 1})


def test_factories_shapes_values_and_dtypes():
    assert tg.zeros(2, 3).shape == tg.zeros((2, 3)).shape == (2, 3)
    assert tg.ones([4]).tolist() == [1.0] * 4
    assert tg.zeros(()).shape == ()
    assert tg.full((2,), 3).dtype == np.int64 and tg.full((2,), 3).tolist() == [3, 3]
    assert tg.full((2, 2), 1.5).dtype == np.float32
    like = tg.tensor(np.ones((2, 1), dtype=np.float64))
    assert tg.zeros_like(like).dtype == np.float64 and tg.ones_like(like).shape == (2, 1)
    assert tg.ones_like(like, requires_grad=True).requires_grad
    assert tg.arange(4).tolist() == [0, 1, 2, 3] and tg.arange(4).dtype == np.int64
    assert tg.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tg.arange(0, 1, 0.25).dtype == np.float32 and tg.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    np.testing.assert_array_equal(tg.eye(3).data, np.eye(3))
    assert tg.eye(2, 3).shape == (2, 3)
    r = tg.rand(1000)
    assert r.dtype == np.float32 and 0.0 <= r.data.min() and r.data.max() < 1.0
    n = tg.randn(2, 500, requires_grad=True)
    assert n.requires_grad and n.is_leaf and abs(float(n.data.mean())) < 0.2
    k = tg.randint(3, 6, (200,))
    assert k.dtype == np.int64 and set(k.tolist()) == {3, 4, 5}


def test_manual_seed_makes_every_draw_reproducible():
    tg.manual_seed(123)
    first = (tg.rand(3).tolist(), tg.randn(2, 2).tolist(), tg.randint(0, 100, (4,)).tolist())
    following = tg.rand(3).tolist()
    tg.manual_seed(123)
    again = (tg.rand(3).tolist(), tg.randn(2, 2).tolist(), tg.randint(0, 100, (4,)).tolist())
    assert first == again and following != first[0]
    for bad in (-1, 1.5, "1", True):
        with pytest.raises(ValueError, match="non-negative integer"):
            tg.manual_seed(bad)


def test_attributes_and_conversions():
    t = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32 and t.numel() == 6 and len(t) == 2
    assert t.size() == (2, 3) and t.size(1) == 3 and t.dim() == 2
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert tg.tensor([[2.5]]).item() == 2.5 and isinstance(tg.tensor(7).item(), int)
    assert float(tg.tensor(2.0)) == 2.0 and int(tg.tensor(3)) == 3
    assert t.numpy() is t.data
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t, copy=True) is not t.data
    assert [row.tolist() for row in t] == t.tolist()
    assert t.grad is None and not t.requires_grad and t.is_leaf and t.grad_fn is None


def test_item_len_bool_and_numpy_errors():
    with pytest.raises(ValueError, match=r"one element, got shape \(2,\)"):
        tg.tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tg.tensor(1.0))
    with pytest.raises(RuntimeError, match=r"ambiguous"):
        bool(tg.tensor([1.0, 2.0]))
    assert bool(tg.tensor([3.0]))
    with pytest.raises(RuntimeError, match="detach\\(\\).numpy\\(\\)"):
        tg.tensor([1.0], requires_grad=True).numpy()


def test_detach_shares_data_and_leaves_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.data is y.data and not d.requires_grad and d.grad_fn is None and d.is_leaf


def test_requires_grad_underscore():
    t = tg.tensor([1.0])
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad
    y = tg.tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_repr_looks_like_pytorch():
    assert repr(tg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(tg.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tg.tensor(3.5)) == "tensor(3.5)"
    assert repr(tg.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(tg.tensor([1.0], requires_grad=True) * 2.0) == "tensor([2.], grad_fn=<MulBackward>)"
    assert repr(tg.tensor(np.ones(1))) == "tensor([1.], dtype=float64)"


def test_comparisons_and_argmax_argmin_carry_no_gradient():
    x = tg.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], requires_grad=True)
    for result in (x > 2.0, x >= x, x < 3, x <= 1.0, x == 5.0, x != x):
        assert result.dtype == np.bool_ and not result.requires_grad and result.grad_fn is None
    assert (x > 2.0).tolist() == [[False, True, True], [True, False, True]]
    assert (x == tg.tensor([1.0, 2.0, 3.0])).tolist() == [[True, False, True], [False, True, False]]
    assert x.argmax().item() == 5 and x.argmin().item() == 0
    assert x.argmax(1).tolist() == [1, 2] and x.argmin(dim=0).tolist() == [0, 1, 0]
    assert x.argmax(1, keepdims=True).shape == (2, 1)
    assert not x.argmax().requires_grad
    assert len({x, x, tg.tensor([1.0])}) == 2  # hashable by identity despite elementwise ==


def test_dtype_conversions_and_their_gradients():
    x = tg.tensor([1.5, -2.5], requires_grad=True)
    assert x.double().dtype == np.float64 and x.float() is x
    assert x.long().tolist() == [1, -2] and not x.long().requires_grad
    assert x.bool().dtype == np.bool_
    x.double().sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]


def test_in_place_updates_of_leaves_that_require_grad_need_no_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)
    product = w * 2.0
    product.zero_()  # a non-leaf: recorded, its grad_fn rebased (tests/test_version_counter.py)
    assert product.tolist() == [0.0, 0.0] and product.grad_fn.name() == "SetItemBackward"
    with tg.no_grad():
        w.sub_(tg.tensor([1.0, 1.0]), alpha=0.5).mul_(2.0)
    assert w.tolist() == [1.0, 3.0]
    w.requires_grad_(False)
    assert w.fill_(4.0).tolist() == [4.0, 4.0]
    assert w.copy_(np.array([1.0, 2.0])).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"\(3,\) does not fit a tensor of shape \(2,\)"):
        w.copy_(np.ones(3))


def test_augmented_assignment_updates_a_leaf_in_place_under_no_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    same = w
    with tg.no_grad():
        w -= 0.25 * w.grad
        w *= 2.0
        w /= 4.0
        w += 1.0
    assert w is same and w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w.tolist() == [1.25, 1.5]
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.1 * w.grad  # outside no_grad, as in PyTorch


def test_augmented_assignment_keeps_building_the_graph_when_it_must():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    recorded = loss
    loss += (w * 3.0).sum()               # in place, as in PyTorch: loss is rebased onto an AddBackward
    assert loss is recorded and loss.grad_fn.name() == "AddBackward"
    total = tg.zeros(())
    total += loss                          # a plain tensor plus a recorded one joins the graph
    total.backward()
    assert w.grad.tolist() == [5.0, 7.0]
    plain = tg.ones(2)
    alias = plain
    plain *= 3.0                           # nothing recorded: in place, visible through every alias
    assert alias is plain and alias.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("make, error, words", [
    (lambda: tg.ones(2, 3).reshape(4), ValueError, r"shape \(2, 3\) \(6 elements\) into \(4,\)"),
    (lambda: tg.ones(2, 3) @ tg.ones(2, 3), ValueError, r"\(2, 3\) and \(2, 3\) do not align"),
    (lambda: tg.ones(()) @ tg.ones(2), ValueError, "at least one dimension"),
    (lambda: tg.ones(2, 3) + tg.ones(4), ValueError, r"cannot be broadcast"),
    (lambda: tg.ones(2, 3).requires_grad_() * tg.ones(4), ValueError, r"Mul: shapes \(2, 3\) and \(4,\)"),
    (lambda: tg.ones(2, 3).sum(2), IndexError, r"dimension 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda: tg.ones(2, 3).sum((0, 0)), ValueError, "repeated dimension"),
    (lambda: tg.zeros(0).max(), ValueError, "empty"),
    (lambda: tg.ones(2, 3).permute(0, 0), ValueError, "not a permutation"),
    (lambda: tg.ones(2).unsqueeze(3), IndexError, "unsqueeze: dim 3 out of range"),
    (lambda: tg.ones(2, 3).broadcast_to(3, 3), ValueError, r"\(2, 3\) cannot be broadcast to \(3, 3\)"),
    (lambda: tg.ones(2, 3).expand(3), ValueError, "fewer dims"),
    (lambda: tg.ones(2, 3).sum_to(4), ValueError, "cannot be summed down"),
    (lambda: tg.cat([tg.ones(2, 3), tg.ones(2, 4)]), ValueError, r"tensor 1 has shape \(2, 4\)"),
    (lambda: tg.cat([]), ValueError, "non-empty"),
    (lambda: tg.stack([tg.ones(2), tg.ones(3)]), ValueError, "same shape"),
    (lambda: tg.ones(5).split([2, 2]), ValueError, "sum to 4, but dim 0 has size 5"),
    (lambda: tg.ones(5).split(0), ValueError, "must be positive"),
    (lambda: tg.ones(2).clip(), ValueError, "at least one of min and max"),
    (lambda: tg.ones(3)[5], IndexError, "out of bounds"),
])
def test_user_errors_name_the_problem(make, error, words):
    with pytest.raises(error, match=words):
        make()
