"""nn against torch.nn (optional oracle): same keys, same reprs, same outputs and gradients for same weights."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn

torch = pytest.importorskip("torch")


def _pair(builder_ours, builder_torch):
    """Both models, with torch's (float64) weights and buffers copied into ours via load_state_dict."""
    theirs = builder_torch().double()
    ours = builder_ours().double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _mlp_ours():
    return nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 4), nn.Tanh(),
                         nn.Linear(4, 3))


def _mlp_torch():
    tnn = torch.nn
    return tnn.Sequential(tnn.Linear(6, 5), tnn.BatchNorm1d(5), tnn.ReLU(), tnn.Linear(5, 4), tnn.Tanh(),
                          tnn.Linear(4, 3))


def test_state_dict_keys_and_shapes_match_torch():
    tnn = torch.nn
    ours = nn.Sequential(nn.Linear(784, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Dropout(0.2), nn.Linear(100, 10),
                         nn.BatchNorm1d(10, affine=False), nn.BatchNorm1d(10, track_running_stats=False))
    theirs = tnn.Sequential(tnn.Linear(784, 100), tnn.BatchNorm1d(100), tnn.ReLU(), tnn.Dropout(0.2),
                            tnn.Linear(100, 10), tnn.BatchNorm1d(10, affine=False),
                            tnn.BatchNorm1d(10, track_running_stats=False))
    ours_state, their_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(their_state)
    for key, value in their_state.items():
        assert ours_state[key].shape == tuple(value.shape), key
        assert ours_state[key].dtype == value.numpy().dtype, key
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_custom_module_names_and_shared_parameters_match_torch():
    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 4)), ("act", nn.ReLU())]))
            self.head = nn.Linear(4, 4)
            self.tied = nn.Linear(4, 4)
            self.tied.weight = self.head.weight
            self.register_buffer("count", tg.zeros(1))

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(3, 4)),
                                                            ("act", torch.nn.ReLU())]))
            self.head = torch.nn.Linear(4, 4)
            self.tied = torch.nn.Linear(4, 4)
            self.tied.weight = self.head.weight
            self.register_buffer("count", torch.zeros(1))

    ours, theirs = Ours(), Theirs()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours).replace("Ours", "X") == repr(theirs).replace("Theirs", "X")


def test_reprs_match_torch():
    tnn = torch.nn
    ours = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.BatchNorm1d(100, momentum=None), nn.ReLU(),
                         nn.Sequential(nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.2), nn.Identity()),
                         nn.Linear(100, 10, bias=False), nn.LogSoftmax(dim=1), nn.Softmax(dim=-1))
    theirs = tnn.Sequential(tnn.Flatten(), tnn.Linear(784, 100), tnn.BatchNorm1d(100, momentum=None), tnn.ReLU(),
                            tnn.Sequential(tnn.Sigmoid(), tnn.Tanh(), tnn.LeakyReLU(0.2), tnn.Identity()),
                            tnn.Linear(100, 10, bias=False), tnn.LogSoftmax(dim=1), tnn.Softmax(dim=-1))
    assert repr(ours) == repr(theirs)
    for ours_loss, their_loss in [(nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()), (nn.MSELoss(), tnn.MSELoss()),
                                  (nn.NLLLoss(), tnn.NLLLoss()), (nn.BCEWithLogitsLoss(), tnn.BCEWithLogitsLoss())]:
        assert repr(ours_loss) == repr(their_loss)


def test_training_steps_outputs_gradients_and_running_stats_match_torch():
    ours, theirs = _pair(_mlp_ours, _mlp_torch)
    rng = np.random.default_rng(0)
    for step in range(3):
        x = rng.normal(1.0, 2.0, size=(8, 6))
        target = rng.integers(0, 3, size=8)
        ours.zero_grad()
        theirs.zero_grad()
        our_loss = nn.CrossEntropyLoss()(ours(tg.tensor(x)), target)
        their_loss = torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(target))
        our_loss.backward()
        their_loss.backward()
        assert our_loss.item() == pytest.approx(their_loss.item(), rel=1e-12)
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"{step} {name}")
        with tg.no_grad(), torch.no_grad():  # the same plain SGD step on both, so step 2 starts from new weights
            for p, q in zip(ours.parameters(), theirs.parameters()):
                p.data -= 0.1 * p.grad.data
                q -= 0.1 * q.grad
    for (key, ours_value), their_value in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(ours_value, their_value.numpy(), rtol=1e-10, atol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    x = rng.normal(size=(5, 6))
    np.testing.assert_allclose(ours(tg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"track_running_stats": False}, {"affine": False},
                                    {"eps": 1e-2, "momentum": 0.5}, {"bias": False}])
def test_batchnorm1d_3d_input_train_and_eval_match_torch(kwargs):
    ours, theirs = _pair(lambda: nn.BatchNorm1d(4, **kwargs), lambda: torch.nn.BatchNorm1d(4, **kwargs))
    with torch.no_grad():
        for q in theirs.parameters():
            q.normal_()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.normal(3.0, 2.0, size=(3, 4, 5))
        cotangent = rng.normal(size=(3, 4, 5))
        xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        (yo * cotangent).sum().backward()
        (yt * torch.tensor(cotangent)).sum().backward()
        np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)
    for (key, value), their_value in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(value, their_value.numpy(), rtol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    x = rng.normal(size=(2, 4, 5))
    np.testing.assert_allclose(ours(tg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)


def test_load_state_dict_error_lists_the_same_keys_as_torch():
    ours = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    state = {"0.weight": np.zeros((3, 2)), "1.weight": np.zeros((1, 3)), "2.bias": np.zeros(1)}
    with pytest.raises(RuntimeError) as ours_error:
        ours.load_state_dict(state)
    with pytest.raises(RuntimeError) as their_error:
        theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    for key in ['"0.bias"', '"1.bias"', '"2.bias"']:
        assert key in str(ours_error.value) and key in str(their_error.value)
    ours_result = ours.load_state_dict(state, strict=False)
    their_result = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert ours_result.missing_keys == their_result.missing_keys
    assert ours_result.unexpected_keys == their_result.unexpected_keys


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=(4, 3)) * 5, rng.normal(size=3)]
    for norm_type, max_norm in [(2.0, 1.0), (1.0, 2.0), (math.inf, 0.5), (3.0, 100.0)]:
        ours = [nn.Parameter(tg.zeros(*g.shape, dtype=np.float64)) for g in grads]
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad = tg.tensor(g)
            q.grad = torch.tensor(g)
        our_norm = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
        their_norm = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
        assert our_norm.item() == pytest.approx(their_norm.item(), rel=1e-12)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12)


def test_gains_and_fans_match_torch():
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                        ("leaky_relu", 0.3), ("selu", None), ("conv1d", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    for shape in [(3, 5), (4, 2, 3), (6, 3, 2, 2)]:
        assert nn.init._calculate_fan_in_and_fan_out(tg.zeros(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_losses_match_torch():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(6, 4))
    target = rng.integers(0, 4, size=6)
    weight = rng.uniform(0.5, 2, size=4)
    for reduction in ["mean", "sum", "none"]:
        for kwargs in [{}, {"weight": weight}, {"label_smoothing": 0.2}, {"ignore_index": int(target[0])}]:
            torch_kwargs = {k: torch.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
            xo, xt = tg.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
            lo = nn.CrossEntropyLoss(reduction=reduction, **kwargs)(xo, target)
            lt = torch.nn.CrossEntropyLoss(reduction=reduction, **torch_kwargs)(xt, torch.tensor(target))
            np.testing.assert_allclose(lo.data, lt.detach().numpy(), rtol=1e-10)
            lo.sum().backward()
            lt.sum().backward()
            np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
        probs = rng.uniform(size=(6, 4))
        np.testing.assert_allclose(
            nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=weight)(tg.tensor(logits), probs).data,
            torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=torch.tensor(weight))(
                torch.tensor(logits), torch.tensor(probs)).numpy(), rtol=1e-10)
        np.testing.assert_allclose(nn.MSELoss(reduction=reduction)(tg.tensor(logits), probs).data,
                                   torch.nn.MSELoss(reduction=reduction)(torch.tensor(logits),
                                                                         torch.tensor(probs)).numpy(), rtol=1e-12)
        log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        np.testing.assert_allclose(nn.NLLLoss(reduction=reduction)(tg.tensor(log_probs), target).data,
                                   torch.nn.NLLLoss(reduction=reduction)(torch.tensor(log_probs),
                                                                         torch.tensor(target)).numpy(), rtol=1e-12)


def test_linear_default_init_has_torchs_distribution():
    ours = nn.Linear(300, 200)
    theirs = torch.nn.Linear(300, 200)
    for a, b in [(ours.weight.data, theirs.weight.detach().numpy()), (ours.bias.data, theirs.bias.detach().numpy())]:
        assert np.abs(a).max() <= 1 / math.sqrt(300) and np.abs(b).max() <= 1 / math.sqrt(300)
        assert a.std() == pytest.approx(b.std(), rel=0.15)
