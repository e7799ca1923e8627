"""tinygrad_edu.functional against closed forms and hand-computed cases (the book's numbers first).

The property tests in test_ops_* already compare every loss with a NumPy reference and its
gradient with central differences; here are the cases whose answer is known on paper.
"""
import math

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.functional as F

# The book's ch. 4 example output (softmax probabilities) and its one-hot label "2".
BOOK_Y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
BOOK_T = np.eye(10)[2]


def test_book_sum_of_squared_errors_is_half_the_summed_mse():
    y = tg.tensor(BOOK_Y, dtype=np.float64)
    assert 0.5 * F.mse_loss(y, BOOK_T, reduction="sum").item() == pytest.approx(0.0975, abs=1e-15)
    assert F.mse_loss(y, BOOK_T).item() == pytest.approx(0.0975 * 2 / 10, abs=1e-15)


def test_book_cross_entropy_error_through_nll_loss():
    y = tg.tensor(BOOK_Y + 1e-7, dtype=np.float64)  # the book's guard against log(0)
    assert F.nll_loss(y.log(), np.array(2)).item() == pytest.approx(0.510825457099338, rel=1e-12)


def test_book_numerical_gradient_numbers():
    """ch04/gradient_1d.py and gradient_2d.py: central differences with h = 1e-4."""
    f = lambda x: 0.01 * x ** 2 + 0.1 * x
    assert float(tg.numerical_gradient(f, np.array(5.0))) == 0.1999999999990898
    assert float(tg.numerical_gradient(f, np.array(10.0))) == 0.2999999999986347
    square_sum = lambda x: float((x ** 2).sum())
    for point, expected in (([3.0, 4.0], [6.0, 8.0]), ([0.0, 2.0], [0.0, 4.0]), ([3.0, 0.0], [6.0, 0.0])):
        np.testing.assert_allclose(tg.numerical_gradient(square_sum, np.array(point)), expected, atol=1e-7)
    # An integer array is differentiated in float64 (the book's version truncates x + h to an int),
    # and the caller's array is never touched.
    integers = np.array([3, 4])
    np.testing.assert_allclose(tg.numerical_gradient(square_sum, integers), [6.0, 8.0], atol=1e-7)
    assert integers.dtype == np.int64 and integers.tolist() == [3, 4]


def test_book_simple_net_gradient_has_the_seed_free_properties():
    """ch04/gradient_simplenet.py: x = [0.6, 0.9], t = [0, 0, 1], W (2, 3) random."""
    tg.manual_seed(42)
    w = tg.randn(2, 3, dtype=np.float64, requires_grad=True)
    x = np.array([0.6, 0.9])
    t = np.array([0.0, 0.0, 1.0])
    loss = F.cross_entropy(tg.tensor(x) @ w, t)  # probability target: the book's one-hot label
    loss.backward()
    dw = w.grad.data
    scores = x @ w.data
    softmax = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    np.testing.assert_allclose(dw, np.outer(x, softmax - t), rtol=1e-12)
    np.testing.assert_allclose(dw.sum(axis=1), [0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(dw[1], 1.5 * dw[0], rtol=1e-12)
    assert loss.item() == pytest.approx(-math.log(softmax[2]), rel=1e-12)
    # The integer label gives the same loss and gradient as the one-hot row.
    w2 = tg.tensor(w.data, requires_grad=True)
    F.cross_entropy(tg.tensor(x) @ w2, np.array(2)).backward()
    np.testing.assert_allclose(w2.grad.data, dw, rtol=1e-12)
    # And the book's own numerical gradient agrees.
    numerical = tg.numerical_gradient(lambda wv: F.cross_entropy(tg.tensor(x) @ tg.tensor(wv), t), w.data)
    np.testing.assert_allclose(numerical, dw, atol=1e-7)


def test_cross_entropy_hand_computed_values():
    logits = tg.tensor([[1.0, 2.0, 3.0]], dtype=np.float64)
    assert F.cross_entropy(logits, [2]).item() == pytest.approx(math.log(math.e + math.e ** 2 + math.e ** 3) - 3.0)
    uniform = tg.zeros(5, 4, dtype=np.float64)
    assert F.cross_entropy(uniform, np.arange(4).tolist() + [0]).item() == pytest.approx(math.log(4.0))
    per_row = F.cross_entropy(tg.tensor([[0.0, 0.0], [0.0, math.log(3.0)]], dtype=np.float64), [0, 1],
                              reduction="none")
    np.testing.assert_allclose(per_row.data, [math.log(2.0), math.log(4.0 / 3.0)])


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    rng = np.random.default_rng(0)
    logits = tg.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    labels = np.array([0, 3, 1, 1, 2])
    F.cross_entropy(logits, labels).backward()
    e = np.exp(logits.data - logits.data.max(1, keepdims=True))
    softmax = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(logits.grad.data, (softmax - np.eye(4)[labels]) / 5, rtol=1e-12)


def test_cross_entropy_weight_ignore_index_and_label_smoothing_closed_forms():
    logits = tg.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float64)
    # ignore_index drops row 1 entirely, mean over the rows that remain
    assert F.cross_entropy(logits, [0, -100]).item() == pytest.approx(-math.log(math.e ** 2 / (math.e ** 2 + 2)))
    # weighted mean divides by the summed weights of the targets
    weight = np.array([2.0, 1.0, 1.0])
    expected = (2.0 * -math.log(math.e ** 2 / (math.e ** 2 + 2)) + 1.0 * math.log(3.0)) / 3.0
    assert F.cross_entropy(logits, [0, 1], weight=weight).item() == pytest.approx(expected)
    # uniform logits: every class has log-probability -log 3, whatever the smoothing
    assert F.cross_entropy(logits[1:], [1], label_smoothing=0.4).item() == pytest.approx(math.log(3.0))
    # label smoothing e mixes the target with the uniform distribution
    e = 0.3
    logp = np.log(np.exp([2.0, 0.0, 0.0]) / np.exp([2.0, 0.0, 0.0]).sum())
    smoothed = -((1 - e) * logp[0] + e * logp.mean())
    assert F.cross_entropy(logits[:1], [0], label_smoothing=e).item() == pytest.approx(smoothed)
    assert F.cross_entropy(logits[:1], np.array([[1.0, 0.0, 0.0]]), label_smoothing=e).item() == pytest.approx(smoothed)


def test_nll_loss_picks_minus_the_target_log_probability():
    log_probs = tg.tensor(np.log([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]), requires_grad=True)
    loss = F.nll_loss(log_probs, [1, 0, 1], reduction="sum")
    assert loss.item() == pytest.approx(-(math.log(0.8) + math.log(0.6) + math.log(0.5)))
    loss.backward()
    assert log_probs.grad.tolist() == [[0.0, -1.0], [-1.0, 0.0], [0.0, -1.0]]
    weighted = F.nll_loss(tg.tensor([[-1.0, -2.0], [-3.0, -4.0]]), [0, 1], weight=[1.0, 3.0], ignore_index=0)
    assert weighted.item() == pytest.approx(4.0)  # only row 1 counts: 3 * 4 / 3


@pytest.mark.parametrize("labels, ignore_index, bad", [
    ([0, 4, 1], -100, 4), ([0, -1, 1], -100, -1), ([-100, 9, 2], -100, 9), ([2, 7, 2], 2, 7),
])
def test_labels_outside_the_classes_raise_whichever_path_checks_them(labels, ignore_index, bad):
    """Without class weights the labels' min and max decide the fast path; any label out of range
    must still reach the full check and its message."""
    for loss_fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(IndexError, match=f"^target {bad} is out of range for 4 classes$"):
            loss_fn(tg.zeros(3, 4), np.array(labels), ignore_index=ignore_index)


def test_bce_with_logits_closed_form_and_gradient():
    x = tg.tensor([[-2.0, 0.0, 3.0]], requires_grad=True, dtype=np.float64)
    y = np.array([[0.0, 1.0, 1.0]])
    s = 1 / (1 + np.exp(-x.data))
    loss = F.binary_cross_entropy_with_logits(x, y)
    assert loss.item() == pytest.approx(-(y * np.log(s) + (1 - y) * np.log(1 - s)).mean())
    loss.backward()
    np.testing.assert_allclose(x.grad.data, (s - y) / 3, rtol=1e-12)
    pos_weight = np.array([1.0, 2.0, 4.0])
    weighted = F.binary_cross_entropy_with_logits(x.detach(), y, pos_weight=pos_weight, reduction="sum")
    assert weighted.item() == pytest.approx(-(pos_weight * y * np.log(s) + (1 - y) * np.log(1 - s)).sum())


def test_mse_loss_gradient_is_two_times_the_difference_over_n():
    a = tg.tensor([1.0, 2.0, 4.0], requires_grad=True, dtype=np.float64)
    b = tg.tensor([0.0, 2.0, 1.0], requires_grad=True, dtype=np.float64)
    F.mse_loss(a, b).backward()
    np.testing.assert_allclose(a.grad.data, 2 * (a.data - b.data) / 3)
    np.testing.assert_allclose(b.grad.data, -2 * (a.data - b.data) / 3)


def test_softmax_rows_are_distributions_and_log_softmax_is_their_log():
    x = tg.tensor(np.random.default_rng(1).standard_normal((3, 5)))
    p = F.softmax(x, dim=1)
    np.testing.assert_allclose(p.data.sum(1), np.ones(3), rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(x, 1).exp().data, p.data, rtol=1e-6)
    assert F.relu(x).data.min() >= 0 and F.sigmoid(x).shape == x.shape and F.tanh(x).shape == x.shape


def test_linear_matches_its_definition():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    w = tg.tensor(np.arange(12.0).reshape(4, 3))
    b = tg.tensor(np.ones(4))
    np.testing.assert_allclose(F.linear(x, w, b).data, x.data @ w.data.T + 1.0)
    np.testing.assert_allclose(F.linear(x, w).data, x.data @ w.data.T)
    with pytest.raises(ValueError, match=r"input of shape \(2, 3\) does not fit weight of shape \(3, 4\)"):
        F.linear(x, w.T)
    with pytest.raises(ValueError, match=r"bias of shape \(3,\)"):
        F.linear(x, w, tg.ones(3))


def test_dropout_scales_survivors_and_is_reproducible():
    x = tg.ones(10_000, dtype=np.float64, requires_grad=True)
    tg.manual_seed(5)
    y = F.dropout(x, p=0.25)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02
    tg.manual_seed(5)
    assert np.array_equal(F.dropout(x, p=0.25).data, y.data)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, y.data)  # the gradient is the same mask times the scale
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert F.dropout(x, 1.0).data.max() == 0.0
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        F.dropout(x, 1.5)


def test_batch_norm_training_normalises_and_updates_running_statistics():
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal((8, 3)) * 4 + 2)
    mean, var = np.zeros(3), np.ones(3)
    y = F.batch_norm(x, mean, var, training=True, momentum=0.1, eps=1e-5)
    np.testing.assert_allclose(y.data.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.data.var(0), x.data.var(0) / (x.data.var(0) + 1e-5), rtol=1e-9)
    np.testing.assert_allclose(mean, 0.1 * x.data.mean(0))
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.data.var(0, ddof=1))  # unbiased, as PyTorch
    evaluated = F.batch_norm(x, mean, var, tg.tensor([2.0, 2.0, 2.0]), tg.tensor([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(evaluated.data, (x.data - mean) / np.sqrt(var + 1e-5) * 2 + 1, rtol=1e-9)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(x[:1], None, None, training=True)


@pytest.mark.parametrize("call, error, words", [
    (lambda x: F.cross_entropy(x, [0, 1], reduction="avg"), ValueError, "reduction must be one of"),
    (lambda x: F.cross_entropy(x, [0, 3]), IndexError, "target 3 is out of range for 3 classes"),
    (lambda x: F.cross_entropy(x, [0, 1, 2]), ValueError, r"target of shape \(3,\) does not match"),
    (lambda x: F.cross_entropy(x, np.ones((2, 2))), ValueError, "probability target of shape"),
    (lambda x: F.cross_entropy(x, [0, 1], label_smoothing=1.5), ValueError, "label_smoothing must be in"),
    (lambda x: F.cross_entropy(x, [0, 1], weight=[1.0, 2.0]), ValueError, "weight of shape"),
    (lambda x: F.nll_loss(x, np.array([0.5, 1.0]), reduction="sum"), TypeError, "integer class indices"),
    (lambda x: F.mse_loss(x, np.ones(3)), ValueError, r"target of shape \(3,\) does not match input of shape"),
    (lambda x: F.binary_cross_entropy_with_logits(x, np.ones(3)), ValueError, "does not match"),
    (lambda x: F.batch_norm(x[0], None, None, training=True), ValueError, "expects input of shape"),
])
def test_functional_errors_name_the_problem(call, error, words):
    with pytest.raises(error, match=words):
        call(tg.zeros(2, 3))
