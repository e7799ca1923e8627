"""PyTorch as an optional third oracle: conventions at kinks and the options of the losses.

Skipped when torch is not installed. NumPy references and numerical gradients (test_ops_*)
already check the math; these cases pin what only a convention decides (the gradient at a
kink, how a weighted mean with ignored rows and label smoothing is normalised) to PyTorch's
choice, in float64, forward values and gradients against a random cotangent.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.functional as F

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
