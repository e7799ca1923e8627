"""nn loss modules against functional and closed forms; clip_grad_norm_ / clip_grad_value_."""
import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F


def test_cross_entropy_loss_module_matches_functional_and_closed_form():
    logits = tg.randn(5, 4)
    target = np.array([0, 3, 1, 1, 2])
    weight = np.array([1.0, 2.0, 0.5, 1.5], dtype=np.float32)
    for kwargs in [{}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": weight}, {"label_smoothing": 0.1},
                   {"ignore_index": 1}]:
        np.testing.assert_allclose(nn.CrossEntropyLoss(**kwargs)(logits, target).data,
                                   F.cross_entropy(logits, target, **kwargs).data, rtol=1e-6, err_msg=str(kwargs))
    z = logits.data - logits.data.max(1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    np.testing.assert_allclose(nn.CrossEntropyLoss()(logits, target).item(), -log_p[np.arange(5), target].mean(),
                               rtol=1e-6)


def test_class_weight_is_a_buffer_like_torch():
    loss = nn.CrossEntropyLoss(weight=[1.0, 2.0])
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_nll_loss_module_after_log_softmax_equals_cross_entropy():
    logits = tg.randn(6, 3)
    target = tg.tensor([2, 0, 1, 1, 0, 2])
    model_out = nn.LogSoftmax(dim=1)(logits)
    np.testing.assert_allclose(nn.NLLLoss()(model_out, target).item(), nn.CrossEntropyLoss()(logits, target).item(),
                               rtol=1e-6)
    np.testing.assert_allclose(nn.NLLLoss(reduction="none")(model_out, target).data,
                               -model_out.data[np.arange(6), target.data], rtol=1e-6)


def test_mse_loss_closed_form_and_book_sum_of_squares():
    y, t = tg.tensor([1.0, 2.0, 4.0]), tg.tensor([1.0, 0.0, 1.0])
    assert nn.MSELoss()(y, t).item() == pytest.approx((0 + 4 + 9) / 3)
    assert 0.5 * nn.MSELoss(reduction="sum")(y, t).item() == pytest.approx(6.5)  # the book's E = 1/2 sum (y-t)^2


def test_bce_with_logits_closed_form_with_pos_weight():
    x = tg.tensor([-2.0, 0.5, 3.0])
    t = np.array([0.0, 1.0, 1.0], dtype=np.float32)
    s = 1 / (1 + np.exp(-x.data))
    expected = -(2.0 * t * np.log(s) + (1 - t) * np.log(1 - s))
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction="none", pos_weight=2.0)(x, t).data, expected, rtol=1e-5)
    assert list(nn.BCEWithLogitsLoss(pos_weight=[2.0, 1.0, 1.0]).state_dict()) == ["pos_weight"]


def test_loss_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="average")


def test_loss_gradient_flows_to_the_model():
    model = nn.Linear(3, 2)
    loss = nn.CrossEntropyLoss()(model(tg.randn(4, 3)), [0, 1, 1, 0])
    loss.backward()
    assert model.weight.grad.shape == (2, 3) and np.any(model.weight.grad.data != 0)


def _params_with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(tg.zeros(*np.shape(g)))
        p.grad = tg.tensor(np.asarray(g, dtype=np.float32))
        params.append(p)
    return params


def test_clip_grad_norm_hand_computed():
    params = _params_with_grads([3.0, 0.0], [[4.0]])  # joint norm 5
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, tg.Tensor) and total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(params[0].grad.data, [3 / (5 + 1e-6), 0.0], rtol=1e-6)
    np.testing.assert_allclose(params[1].grad.data, [[4 / (5 + 1e-6)]], rtol=1e-6)
    joint = np.sqrt(sum((p.grad.data ** 2).sum() for p in params))
    assert joint == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_below_the_limit_changes_nothing_and_other_orders():
    params = _params_with_grads([0.3, -0.4])
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.data, np.float32([0.3, -0.4]))
    assert nn.utils.clip_grad_norm_(_params_with_grads([1.0, -7.0], [2.0]), 100, norm_type="inf").item() == 7.0
    assert nn.utils.clip_grad_norm_(_params_with_grads([1.0, -7.0], [2.0]), 100, norm_type=1).item() == 10.0


def test_clip_grad_norm_rebinds_gradients_instead_of_writing_into_them():
    params = _params_with_grads([30.0, 40.0])
    old = params[0].grad.data
    nn.utils.clip_grad_norm_(params[0], 1.0)  # a single tensor is accepted too
    np.testing.assert_array_equal(old, np.float32([30.0, 40.0]))
    assert params[0].grad.data is not old


def test_clip_grad_norm_skips_missing_grads_and_can_refuse_nonfinite():
    p = nn.Parameter(tg.zeros(2))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0
    with pytest.raises(RuntimeError, match="inf"):
        nn.utils.clip_grad_norm_(_params_with_grads([np.inf, 1.0]), 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    params = _params_with_grads([-3.0, 0.5, 2.0])
    old = params[0].grad.data
    nn.utils.clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.data, np.float32([-1.0, 0.5, 1.0]))
    np.testing.assert_array_equal(old, np.float32([-3.0, 0.5, 2.0]))
