"""Edge cases and misuse of ops and layers: PyTorch's results, or a clear error where PyTorch raises."""
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.functional as F
import tinygrad_edu.nn as nn
from tinygrad_edu.data import DataLoader

INF, NAN = float("inf"), float("nan")
SPECIAL_ROWS = np.array([[INF, 1.0], [-INF, -INF], [NAN, 1.0], [INF, -INF], [-INF, 1.0], [INF, INF], [1.0, 2.0],
                         [1000.0, 1000.0]])
# PyTorch 2.x: torch.logsumexp(rows, 1)
EXPECTED_LOGSUMEXP = [INF, -INF, NAN, INF, 1.0, INF, np.logaddexp(1.0, 2.0), 1000.0 + np.log(2.0)]


def test_logsumexp_of_rows_holding_inf_or_nan_is_pytorchs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and NumPy's "invalid value" warnings stay inside
        result = tg.tensor(SPECIAL_ROWS).logsumexp(1)
    np.testing.assert_array_equal(result.data, np.array(EXPECTED_LOGSUMEXP))


def test_logsumexp_keeps_its_gradient_on_finite_rows():
    x = tg.tensor(np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1000.0]]), requires_grad=True)
    weights = np.array([0.5, -2.0])
    (x.logsumexp(1) * tg.tensor(weights)).sum().backward()
    softmax = np.exp(x.data - x.data.max(1, keepdims=True))
    softmax /= softmax.sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, softmax * weights[:, None], rtol=1e-12)


@pytest.mark.parametrize("shape, dim", [((3, 0), 1), ((0, 3), 0), ((2, 0, 4), 1), ((0,), 0)])
def test_softmax_family_over_an_empty_axis_is_pytorchs(shape, dim):
    x = tg.tensor(np.zeros(shape), requires_grad=True)
    assert F.softmax(x, dim).shape == shape and F.log_softmax(x, dim).shape == shape
    reduced = x.logsumexp(dim)
    expected_shape = shape[:dim] + shape[dim + 1:]
    assert reduced.shape == expected_shape
    assert np.all(reduced.data == -INF)
    F.log_softmax(x, dim).sum().backward()
    assert x.grad.shape == shape


def test_the_softmax_family_matches_pytorch_on_special_and_empty_inputs():
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(SPECIAL_ROWS)
    x = tg.tensor(SPECIAL_ROWS)
    np.testing.assert_allclose(x.logsumexp(1).data, torch.logsumexp(t, 1).numpy(), rtol=1e-14)
    np.testing.assert_allclose(F.log_softmax(x, 1).data, torch.log_softmax(t, 1).numpy(), rtol=1e-14)
    np.testing.assert_allclose(F.softmax(x, 1).data, torch.softmax(t, 1).numpy(), rtol=1e-14)
    empty = torch.zeros(3, 0, dtype=torch.float64)
    np.testing.assert_array_equal(tg.tensor(np.zeros((3, 0))).logsumexp(1).data, torch.logsumexp(empty, 1).numpy())


def test_integer_logits_raise_pytorchs_error():
    logits = tg.tensor(np.ones((2, 3), dtype=np.int64))
    with pytest.raises(RuntimeError, match="\"log_softmax\" not implemented for 'Long'"):
        F.cross_entropy(logits, tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="not implemented for 'Int'"):
        F.softmax(tg.tensor(np.ones(3, dtype=np.int32)), 0)


def test_linear_on_an_integer_input_raises_like_pytorch():
    layer = nn.Linear(2, 3)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got int64 and float32"):
        layer(tg.tensor(np.ones((4, 2), dtype=np.int64)))
    assert layer(tg.tensor(np.ones((4, 2), dtype=np.int64)).float()).shape == (4, 3)


@pytest.mark.parametrize("p", [np.float32(0.5), np.float64(0.25), np.int64(0), 1])
def test_dropout_accepts_numpy_numbers(p):
    layer = nn.Dropout(p=p)
    assert layer.p == float(p) and isinstance(layer.p, float)


@pytest.mark.parametrize("p", [np.bool_(True), True, "0.5", np.float32(1.5), -0.1])
def test_dropout_refuses_what_is_not_a_probability(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p=p)


def test_indexing_with_an_empty_list_selects_nothing():
    x = tg.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    picked = x[[]]
    assert picked.shape == (0, 2) and x[[], 1].shape == (0,)
    (picked.sum() + x[[2]].sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0], [0, 0], [1, 1]])


class Ragged:
    """Samples whose first field has length 3, except sample 5."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        return np.ones(4 if index == 5 else 3, dtype=np.float32), index


def test_a_batch_of_samples_with_different_shapes_names_the_samples():
    loader = DataLoader(Ragged(), batch_size=4)
    first = next(iter(loader))
    assert first[0].shape == (4, 3)
    with pytest.raises(ValueError, match=r"stack expects each tensor to be equal size, but got \(3,\) at entry 0 "
                                         r"\(sample 4\) and \(4,\) at entry 1 \(sample 5\) in field 0"):
        list(loader)


def test_assigning_a_grad_of_another_shape_dtype_or_type_raises_as_in_pytorch():
    w = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"assigned grad has data of a different size.*\(1,\).*\(3,\)"):
        w.grad = tg.ones(1)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type.*float64"):
        w.grad = tg.ones(3, dtype=np.float64)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None but got grad of type ndarray"):
        w.grad = np.ones(3, dtype=np.float32)
    assert w.grad is None  # nothing was stored by the refused assignments
    w.grad = tg.ones(3)
    w.grad = None
    assert w.grad is None
