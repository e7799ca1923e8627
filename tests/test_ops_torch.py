"""PyTorch as an optional third oracle: conventions at kinks and the options of the losses.

Skipped when torch is not installed. NumPy references and numerical gradients (test_ops_*)
already check the math; these cases pin what only a convention decides (the gradient at a
kink, how a weighted mean with ignored rows and label smoothing is normalised) to PyTorch's
choice, in float64, forward values and gradients against a random cotangent.
"""
import functools

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.functional as F
from tinygrad_edu.autograd import forward_ad as fwAD

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(fn_tg, fn_torch, *arrays, seed=0):
    """Forward values and input gradients of both libraries for the same random cotangent."""
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_ours, out_theirs = fn_tg(*ours), fn_torch(*theirs)
    cotangent = np.random.default_rng(seed).standard_normal(out_ours.shape)
    (out_ours * tg.tensor(cotangent)).sum().backward()
    (out_theirs * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), rtol=1e-10, atol=1e-12)


KINKS = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0])  # |x| ties: 2 and -2, 1 and -1, the two zeros


@pytest.mark.parametrize("name, ours, theirs", [
    ("relu", lambda x: x.relu(), lambda x: x.relu()),
    ("abs", lambda x: x.abs(), lambda x: x.abs()),
    ("leaky_relu", lambda x: x.leaky_relu(0.1), lambda x: TF.leaky_relu(x, 0.1)),
    ("clip", lambda x: x.clip(-1.0, 1.0), lambda x: x.clamp(-1.0, 1.0)),
    ("clip_min", lambda x: x.clip(min=0.0), lambda x: x.clamp(min=0.0)),
    ("maximum_ties", lambda x: x.maximum(x[::-1]), lambda x: torch.maximum(x, x.flip(0))),
    ("minimum_ties", lambda x: x.minimum(x.reshape(2, 3)[:, [1, 1, 0]].reshape(6)),
     lambda x: torch.minimum(x, x.reshape(2, 3)[:, [1, 1, 0]].reshape(6))),
])
def test_gradients_at_kinks_follow_pytorch(name, ours, theirs):
    _both(ours, theirs, KINKS)


TIES = np.array([3.0, 1.0, 3.0, 2.0, 2.0, -1.0])  # as (2, 3): each row's maximum is tied


@pytest.mark.parametrize("name, ours, theirs", [
    ("max_all", lambda x: x.max(), lambda x: x.max()),
    ("min_all", lambda x: (-x).min(), lambda x: (-x).min()),
    ("amax_rows", lambda x: x.reshape(2, 3).amax(1), lambda x: x.reshape(2, 3).amax(1)),
    ("amin_rows_keepdim", lambda x: (-x).reshape(2, 3).amin(dim=1, keepdim=True),
     lambda x: (-x).reshape(2, 3).amin(dim=1, keepdim=True)),
])
def test_ties_in_max_and_min_share_the_gradient_like_amax(name, ours, theirs):
    _both(ours, theirs, TIES)


LOGITS = np.random.default_rng(1).standard_normal((5, 4))
LABELS = np.array([0, 3, -100, 1, 3])
WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_indices_follows_pytorch(reduction, smoothing, weighted):
    weight = WEIGHT if weighted else None
    _both(lambda x: F.cross_entropy(x, LABELS, weight=weight, reduction=reduction, label_smoothing=smoothing),
          lambda x: TF.cross_entropy(x, torch.tensor(LABELS), weight=None if weight is None else torch.tensor(weight),
                                     reduction=reduction, label_smoothing=smoothing),
          LOGITS)


def _nll_of_log_softmax(library_functional, x, labels, **options):
    return library_functional.nll_loss(x.log_softmax(1), labels, **options)


def _loss_and_derivatives(loss_fn, logits, labels, options, cotangent, direction):
    """Loss, gradient from a plain backward, gradient under create_graph, Hessian times `direction`, and
    the forward-mode tangent along `direction`, all as arrays."""
    x = tg.tensor(logits, requires_grad=True)
    loss = loss_fn(x, labels, **options)
    (loss * tg.tensor(cotangent)).sum().backward()
    x2 = tg.tensor(logits, requires_grad=True)
    (graph_grad,) = tg.grad((loss_fn(x2, labels, **options) * tg.tensor(cotangent)).sum(), x2, create_graph=True)
    (hessian_direction,) = tg.grad((graph_grad * tg.tensor(direction)).sum(), x2)
    with fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor(logits), tg.tensor(direction))
        tangent = fwAD.unpack_dual(loss_fn(dual, labels, **options)).tangent
    return loss.data, x.grad.data, graph_grad.data, hessian_direction.data, tangent.data


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ours, theirs", [
    (F.cross_entropy, TF.cross_entropy),
    (functools.partial(_nll_of_log_softmax, F), functools.partial(_nll_of_log_softmax, TF)),
], ids=["cross_entropy", "nll_loss"])
def test_losses_without_row_weights_agree_bit_for_bit_with_the_weighted_path(reduction, dtype, ours, theirs):
    """Labels all in range, no class weights, ignore_index matching none: cross_entropy and nll_loss skip
    the row-weight array (functional._row_weights gives None). Weights of 1, or an ignore_index inside the
    labels' range that matches no label, force the weighted path; every derivative must agree to the bit
    (float32 stays float32), and with PyTorch's to rounding."""
    rng = np.random.default_rng(5)
    logits = (rng.standard_normal((6, 4)) * 3).astype(dtype)
    labels = np.array([0, 3, 3, 1, 0, 3])  # no 2: ignore_index=2 lies in [0, 3] yet ignores nothing
    cotangent = rng.standard_normal(6 if reduction == "none" else ()).astype(dtype)
    direction = rng.standard_normal((6, 4)).astype(dtype)
    assert F._row_weights(labels, 4, None, -100, np.dtype(dtype), (6, 4))[0] is None
    assert F._row_weights(labels, 4, None, 2, np.dtype(dtype), (6, 4))[0] is not None
    fast = _loss_and_derivatives(ours, logits, labels, {"reduction": reduction}, cotangent, direction)
    assert all(result.dtype == dtype for result in fast)
    for options in ({"weight": np.ones(4, dtype)}, {"ignore_index": 2}):
        weighted = _loss_and_derivatives(ours, logits, labels, {"reduction": reduction, **options}, cotangent,
                                         direction)
        for mine, reference in zip(fast, weighted):
            np.testing.assert_array_equal(mine, reference)
    x = torch.tensor(logits, requires_grad=True)
    loss = theirs(x, torch.tensor(labels), reduction=reduction)
    (grad,) = torch.autograd.grad((loss * torch.tensor(cotangent)).sum(), x, create_graph=True)
    (hessian_direction,) = torch.autograd.grad((grad * torch.tensor(direction)).sum(), x)
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for mine, reference in zip(fast[:4], (loss, grad, grad, hessian_direction)):
        np.testing.assert_allclose(mine, reference.detach().numpy(), **tolerance)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [0, 1, 3])
def test_cross_entropy_ignore_index_among_the_labels_follows_pytorch(reduction, ignore_index):
    labels = np.array([0, 3, 3, 1, 0])  # ignore_index inside the labels' range: the rows holding it count for nothing
    _both(lambda x: F.cross_entropy(x, labels, ignore_index=ignore_index, reduction=reduction),
          lambda x: TF.cross_entropy(x, torch.tensor(labels), ignore_index=ignore_index, reduction=reduction),
          LOGITS)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_with_probabilities_follows_pytorch(reduction):
    target = np.random.default_rng(2).dirichlet(np.ones(4), size=5)
    _both(lambda x: F.cross_entropy(x, target, weight=WEIGHT, reduction=reduction, label_smoothing=0.1),
          lambda x: TF.cross_entropy(x, torch.tensor(target), weight=torch.tensor(WEIGHT), reduction=reduction,
                                     label_smoothing=0.1),
          LOGITS)


def test_cross_entropy_spatial_and_nll_loss_follow_pytorch():
    logits = np.random.default_rng(3).standard_normal((2, 3, 4))
    labels = np.array([[0, 2, 1, 2], [1, 1, -100, 0]])
    _both(lambda x: F.cross_entropy(x, labels), lambda x: TF.cross_entropy(x, torch.tensor(labels)), logits)
    _both(lambda x: F.nll_loss(x, LABELS, weight=WEIGHT), lambda x: TF.nll_loss(x, torch.tensor(LABELS),
                                                                                   weight=torch.tensor(WEIGHT)),
          LOGITS)


def test_binary_cross_entropy_with_logits_follows_pytorch():
    target = np.random.default_rng(4).random((5, 4))
    pos_weight = np.array([1.0, 3.0, 0.5, 2.0])
    _both(lambda x: F.binary_cross_entropy_with_logits(x, target, weight=WEIGHT, pos_weight=pos_weight),
          lambda x: TF.binary_cross_entropy_with_logits(x, torch.tensor(target), weight=torch.tensor(WEIGHT),
                                                        pos_weight=torch.tensor(pos_weight)),
          LOGITS * 4)


@pytest.mark.parametrize("name, ours, theirs", [
    ("var", lambda x: x.var(1), lambda x: x.var(1)),
    ("var_biased", lambda x: x.var(0, correction=0), lambda x: x.var(0, correction=0)),
    ("std_keepdim", lambda x: x.std(dim=1, keepdim=True), lambda x: x.std(dim=1, keepdim=True)),
    ("logsumexp", lambda x: x.logsumexp(1), lambda x: x.logsumexp(1)),
    ("log_softmax", lambda x: x.log_softmax(0), lambda x: x.log_softmax(0)),
    ("softmax", lambda x: x.softmax(-1), lambda x: x.softmax(-1)),
    ("mse", lambda x: F.mse_loss(x, np.ones((5, 4))), lambda x: TF.mse_loss(x, torch.ones(5, 4, dtype=x.dtype))),
    ("getitem_repeats", lambda x: x[[0, 0, 4], 1:], lambda x: x[[0, 0, 4], 1:]),
    ("getitem_mask", lambda x: x[LOGITS > 0], lambda x: x[torch.tensor(LOGITS > 0)]),
])
def test_composites_follow_pytorch(name, ours, theirs):
    _both(ours, theirs, LOGITS)


def test_batch_norm_training_follows_pytorch():
    x = np.random.default_rng(5).standard_normal((6, 4)) * 3 + 1
    weight, bias = np.array([1.0, 0.5, 2.0, -1.0]), np.array([0.0, 1.0, -1.0, 0.5])
    ours_mean, ours_var = np.zeros(4), np.ones(4)
    theirs_mean, theirs_var = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    _both(lambda t, w, b: F.batch_norm(t, ours_mean, ours_var, w, b, training=True),
          lambda t, w, b: TF.batch_norm(t, theirs_mean, theirs_var, w, b, training=True),
          x, weight, bias)
    np.testing.assert_allclose(ours_mean, theirs_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_var, theirs_var.numpy(), rtol=1e-12)
