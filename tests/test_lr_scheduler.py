"""Learning-rate schedules: hand-computed lr sequences, PyTorch's step() semantics, state_dict, errors.

Expected lrs are worked out from each schedule's formula by hand (cosines with math.cos); PyTorch
parity of the same schedules is in test_optim_torch.py.
"""
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler


def _optimizer(lr=1.0, groups=1):
    params = [tg.tensor([1.0], requires_grad=True) for _ in range(groups)]
    return optim.SGD([{"params": [p]} for p in params], lr=lr)


def _lrs(scheduler, epochs):
    """get_last_lr() for epochs 0 (after construction) .. epochs - 1."""
    values = [scheduler.get_last_lr()[0]]
    for _ in range(epochs - 1):
        scheduler.optimizer.step()
        scheduler.step()
        values.append(scheduler.get_last_lr()[0])
    return values


def _half_cosine(epoch, t_max, base=1.0, eta_min=0.0):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2


@pytest.mark.parametrize("make, expected", [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=0.5), [1, 1, 0.5, 0.5, 0.25, 0.25]),
    (lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[4, 2, 4], gamma=0.1), [1, 1, 0.1, 0.1, 0.001, 0.001]),
    (lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.5), [1, 0.5, 0.25, 0.125]),
    (lambda opt: lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (epoch + 1)), [1, 1 / 2, 1 / 3, 1 / 4]),
    # 0.5 (1 + cos(pi e / 4)): down to 0 at e = 4, then back up (no restart), as PyTorch
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=4),
     [1, 0.5 + 0.5 * math.sqrt(0.5), 0.5, 0.5 - 0.5 * math.sqrt(0.5), 0, 0.5 - 0.5 * math.sqrt(0.5), 0.5]),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.1),
     [_half_cosine(e, 10, eta_min=0.1) for e in range(12)]),
], ids=["StepLR", "MultiStepLR", "ExponentialLR", "LambdaLR", "Cosine", "Cosine-eta_min"])
def test_hand_computed_schedules(make, expected):
    np.testing.assert_allclose(_lrs(make(_optimizer()), len(expected)), expected, rtol=1e-12, atol=1e-15)


def test_construction_performs_the_first_step_and_records_initial_lr():
    opt = _optimizer(lr=0.4, groups=2)
    opt.param_groups[1]["lr"] = 0.2
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert scheduler.last_epoch == 0 and scheduler._step_count == 1
    assert scheduler.base_lrs == [0.4, 0.2] and scheduler.get_last_lr() == [0.4, 0.2]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.4, 0.2]
    scheduler.step()
    assert scheduler.last_epoch == 1 and [g["lr"] for g in opt.param_groups] == [0.2, 0.1]


def test_the_scheduled_lr_is_the_one_the_optimizer_uses():
    p = tg.tensor([0.0], dtype=np.float64, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.1)
    for _ in range(3):
        p.grad = tg.tensor([1.0], dtype=np.float64)
        opt.step()
        scheduler.step()
    assert p.data[0] == pytest.approx(-(1.0 + 0.1 + 0.01))


def test_lambda_lr_takes_one_function_per_group():
    opt = _optimizer(lr=1.0, groups=2)
    scheduler = lr_scheduler.LambdaLR(opt, [lambda e: 2.0 ** e, lambda e: 1.0 - 0.25 * e])
    scheduler.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [4.0, 0.5]


def test_multiplicative_schedules_chain_like_pytorchs():
    opt = _optimizer(lr=1.0)
    first = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    second = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(2):
        first.step()
        second.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25 * 0.1)


class _Warmup:
    """A callable object: LambdaLR saves its attributes, as PyTorch does."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


@pytest.mark.parametrize("make", [
    lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.5),
    lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.01),
    lambda opt: lr_scheduler.LambdaLR(opt, _Warmup(4)),
], ids=["StepLR", "MultiStepLR", "ExponentialLR", "Cosine", "LambdaLR"])
def test_state_dict_resumes_the_same_schedule(make):
    reference = make(_optimizer(lr=0.3))
    expected = _lrs(reference, 10)
    opt = _optimizer(lr=0.3)
    first = make(opt)
    _lrs(first, 4)
    saved_opt, saved = opt.state_dict(), first.state_dict()
    assert "optimizer" not in saved
    resumed_opt = _optimizer(lr=99.0)
    resumed_opt.load_state_dict(saved_opt)
    resumed = make(resumed_opt)
    resumed.load_state_dict(saved)
    assert resumed.last_epoch == 3
    assert _lrs(resumed, 7) == pytest.approx(expected[3:], rel=1e-12)


def test_lambda_lr_state_saves_callable_objects_but_not_functions():
    opt = _optimizer(lr=1.0, groups=2)
    warmup = _Warmup(5)
    scheduler = lr_scheduler.LambdaLR(opt, [warmup, lambda e: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"epochs": 5}, None]
    state["lr_lambdas"][0]["epochs"] = 2
    scheduler.load_state_dict(state)
    assert warmup.epochs == 2 and "lr_lambdas" in state


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match=r"initial_lr.*param_groups\[0\]"):
        lr_scheduler.StepLR(_optimizer(), step_size=2, last_epoch=4)
    opt = _optimizer(lr=0.5)
    opt.param_groups[0]["initial_lr"] = 1.0
    scheduler = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5, last_epoch=4)
    assert scheduler.base_lrs == [1.0] and scheduler.last_epoch == 5


@pytest.mark.parametrize("make, error, message", [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=0), ValueError, "step_size must be a positive integer"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), ValueError, "T_max must be positive"),
    (lambda opt: lr_scheduler.LambdaLR(opt, [lambda e: 1.0] * 3), ValueError, "Expected 1 lr_lambdas"),
    (lambda opt: lr_scheduler.ExponentialLR(object(), gamma=0.5), TypeError, "is not an Optimizer"),
])
def test_scheduler_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(_optimizer())
