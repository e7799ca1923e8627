"""PyTorch parity for every optimizer, option combination and scheduler (optional: needs torch).

The same float64 initial parameters and the same sequence of gradients go into torch.optim and
tinygrad_edu.optim; after N steps the parameters (and scheduler lrs) must agree to 1e-6 relative.
Gradients are fed directly (not computed), so only the update rules are compared.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

torch = pytest.importorskip("torch")

STEPS = 12
SHAPES = [(3, 4), (5,), ()]


def _gradient_sequence(seed):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=shape) * rng.choice([0.01, 1.0, 30.0]) for shape in SHAPES] for _ in range(STEPS)]


def _run_pair(ours_factory, torch_factory, seed=0, scheduler_pair=None, maximize_sign=1.0):
    rng = np.random.default_rng(1000 + seed)
    initial = [rng.normal(size=shape) for shape in SHAPES]
    ours_params = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in initial]
    torch_params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in initial]
    ours, theirs = ours_factory(ours_params), torch_factory(torch_params)
    schedulers = scheduler_pair(ours, theirs) if scheduler_pair else None
    for step, grads in enumerate(_gradient_sequence(seed)):
        for p, q, g in zip(ours_params, torch_params, grads):
            p.grad = tg.tensor(g, dtype=np.float64)
            q.grad = torch.tensor(g, dtype=torch.float64)
        if step == 5:  # one parameter without a gradient: both must skip it
            ours_params[1].grad = None
            torch_params[1].grad = None
        ours.step()
        theirs.step()
        if schedulers:
            schedulers[0].step()
            schedulers[1].step()
            np.testing.assert_allclose(schedulers[0].get_last_lr(), schedulers[1].get_last_lr(), rtol=1e-12)
    for p, q in zip(ours_params, torch_params):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-6, atol=1e-12)
    return ours, theirs


SGD_OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True),
    dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.02, maximize=True),
    dict(lr=0.1, maximize=True),
]


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=str)
def test_sgd_matches_torch(options):
    _run_pair(lambda ps: optim.SGD(ps, **options), lambda ps: torch.optim.SGD(ps, **options))


ADAGRAD_OPTIONS = [dict(), dict(lr=0.1, lr_decay=0.05), dict(lr=0.1, weight_decay=0.1),
                   dict(lr=0.2, initial_accumulator_value=0.5, eps=1e-6), dict(lr=0.1, maximize=True, weight_decay=0.1)]


@pytest.mark.parametrize("options", ADAGRAD_OPTIONS, ids=str)
def test_adagrad_matches_torch(options):
    _run_pair(lambda ps: optim.Adagrad(ps, **options), lambda ps: torch.optim.Adagrad(ps, **options))


RMSPROP_OPTIONS = [dict(), dict(lr=0.01, alpha=0.9), dict(lr=0.01, momentum=0.9), dict(lr=0.01, centered=True),
                   dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1),
                   dict(lr=0.01, eps=1e-3, maximize=True)]


@pytest.mark.parametrize("options", RMSPROP_OPTIONS, ids=str)
def test_rmsprop_matches_torch(options):
    _run_pair(lambda ps: optim.RMSprop(ps, **options), lambda ps: torch.optim.RMSprop(ps, **options))


ADAM_OPTIONS = [dict(), dict(lr=0.1, betas=(0.8, 0.99)), dict(lr=0.01, amsgrad=True), dict(lr=0.01, weight_decay=0.1),
                dict(lr=0.01, weight_decay=0.1, amsgrad=True, eps=1e-4), dict(lr=0.01, maximize=True),
                dict(lr=0.01, eps=1e-3)]


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_matches_torch(options):
    _run_pair(lambda ps: optim.Adam(ps, **options), lambda ps: torch.optim.Adam(ps, **options))


@pytest.mark.parametrize("options", [dict(), dict(lr=0.01, weight_decay=0.3), dict(lr=0.01, amsgrad=True),
                                     dict(lr=0.02, weight_decay=0.1, maximize=True), dict(eps=1e-3)], ids=str)
def test_adamw_matches_torch(options):
    _run_pair(lambda ps: optim.AdamW(ps, **options), lambda ps: torch.optim.AdamW(ps, **options))


def test_param_groups_with_their_own_hyperparameters_match_torch():
    def groups(ps):
        return [{"params": ps[:1], "lr": 0.3, "momentum": 0.5}, {"params": ps[1:]}]
    _run_pair(lambda ps: optim.SGD(groups(ps), lr=0.1, momentum=0.9),
              lambda ps: torch.optim.SGD(groups(ps), lr=0.1, momentum=0.9))


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.8)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.001)),  # 12 steps: past T_max and back up twice
    ("CosineAnnealingLR", dict(T_max=7)),
]


@pytest.mark.parametrize("name, options", SCHEDULERS, ids=str)
def test_schedulers_drive_the_same_trajectory_as_torch(name, options):
    def pair(ours, theirs):
        return (getattr(optim.lr_scheduler, name)(ours, **options),
                getattr(torch.optim.lr_scheduler, name)(theirs, **options))
    _run_pair(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
              scheduler_pair=pair)


def test_lambda_lr_per_group_and_chained_schedulers_match_torch():
    def groups(ps):
        return [{"params": ps[:1], "lr": 0.2}, {"params": ps[1:]}]
    lambdas = [lambda epoch: 1 / (1 + epoch), lambda epoch: 0.9 ** epoch]

    def pair(ours, theirs):
        return (optim.lr_scheduler.LambdaLR(ours, lambdas), torch.optim.lr_scheduler.LambdaLR(theirs, lambdas))
    _run_pair(lambda ps: optim.Adam(groups(ps), lr=0.05), lambda ps: torch.optim.Adam(groups(ps), lr=0.05),
              scheduler_pair=pair)

    ours_p = [tg.tensor([1.0], requires_grad=True)]
    torch_p = [torch.tensor([1.0], requires_grad=True)]
    ours, theirs = optim.SGD(ours_p, lr=1.0), torch.optim.SGD(torch_p, lr=1.0)
    ours_chain = [optim.lr_scheduler.ExponentialLR(ours, 0.9), optim.lr_scheduler.MultiStepLR(ours, [3, 6], 0.1)]
    torch_chain = [torch.optim.lr_scheduler.ExponentialLR(theirs, 0.9),
                   torch.optim.lr_scheduler.MultiStepLR(theirs, [3, 6], 0.1)]
    for _ in range(8):
        ours.step()
        theirs.step()  # before the schedulers, as PyTorch expects (no grads: nothing moves)
        for scheduler in ours_chain + torch_chain:
            scheduler.step()
        assert ours.param_groups[0]["lr"] == pytest.approx(theirs.param_groups[0]["lr"], rel=1e-12)


def test_state_dict_layout_matches_torch():
    ours, theirs = _run_pair(lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
                             lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True))
    ours_state, torch_state = ours.state_dict(), theirs.state_dict()
    assert ours_state["state"].keys() == torch_state["state"].keys()
    for index, entry in torch_state["state"].items():
        assert ours_state["state"][index].keys() == entry.keys()
        assert ours_state["state"][index]["step"] == int(entry["step"].item())
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            np.testing.assert_allclose(ours_state["state"][index][key], entry[key].numpy(), rtol=1e-6, atol=1e-15)
    assert ours_state["param_groups"][0]["params"] == torch_state["param_groups"][0]["params"]
    shared = set(ours_state["param_groups"][0]) & set(torch_state["param_groups"][0])
    assert {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "params"} <= shared


@pytest.mark.parametrize("name, options", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)),
                                           ("Adam", dict(lr=1e-2, amsgrad=True)), ("RMSprop", dict(lr=1e-2))])
def test_a_full_training_loop_follows_torchs_trajectory(name, options):
    """nn.Linear + cross-entropy + backward + step on both sides, from the same float64 weights."""
    tg.set_default_dtype(np.float64)  # conftest restores the default afterwards
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    ours = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    for p, q in zip(ours.parameters(), theirs.parameters()):
        p.data[...] = q.detach().numpy()
    ours_opt = getattr(optim, name)(ours.parameters(), **options)
    torch_opt = getattr(torch.optim, name)(theirs.parameters(), **options)
    rng = np.random.default_rng(3)
    for _ in range(8):
        x, t = rng.normal(size=(16, 4)), rng.integers(0, 3, size=16)
        ours_opt.zero_grad()
        tg.functional.cross_entropy(ours(tg.tensor(x)), tg.tensor(t)).backward()
        ours_opt.step()
        torch_opt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(t)).backward()
        torch_opt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-6, atol=1e-10)


def test_float32_parameters_stay_within_float32_rounding_of_torch():
    rng = np.random.default_rng(5)
    start, grads = rng.normal(size=(6, 5)).astype(np.float32), rng.normal(size=(10, 6, 5)).astype(np.float32)
    p = tg.tensor(start, requires_grad=True)
    q = torch.tensor(start, requires_grad=True)
    ours, theirs = optim.Adam([p], lr=1e-2), torch.optim.Adam([q], lr=1e-2)
    for g in grads:
        p.grad, q.grad = tg.tensor(g), torch.tensor(g)
        ours.step()
        theirs.step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)
