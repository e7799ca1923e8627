"""Multi-tensor (flat) optimizer steps give exactly the per-parameter results, whatever users do.

The oracle is the same optimizer with the flat path switched off (FLAT_MAX_SIZE = 0 sends every
parameter through the per-parameter loop, which test_optim.py checks by hand and
test_optim_torch.py against PyTorch). Elementwise IEEE arithmetic does not depend on how the
elements are laid out, so the two must agree bit for bit.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.optim import _flat

FACTORIES = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "nesterov": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.01),
    "adamw amsgrad": lambda ps: optim.AdamW(ps, lr=0.01, amsgrad=True),
    "adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
    "rmsprop centered": lambda ps: optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
    "book momentum": lambda ps: optim.Momentum(ps),
    "book rmsprop": lambda ps: optim.RMSProp(ps),
}
SHAPES = [(3, 4), (4,), (2, 2, 2), ()]


def _params(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [tg.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in SHAPES]


def _grads(step, params):
    rng = np.random.default_rng(100 + step)
    return [rng.standard_normal(p.shape).astype(p.dtype) for p in params]


def _run(factory, steps=4, between=None):
    params = _params()
    opt = factory(params)
    for step in range(steps):
        for p, g in zip(params, _grads(step, params)):
            p.grad = tg.tensor(g)
        if between is not None:
            between(step, params, opt)
        opt.step()
    return [p.data.copy() for p in params], opt


@pytest.fixture
def per_parameter(monkeypatch):
    def run(*args, **kwargs):
        with monkeypatch.context() as patch:
            patch.setattr(_flat, "FLAT_MAX_SIZE", 0)
            return _run(*args, **kwargs)
    return run


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_flat_step_equals_per_parameter_step(name, per_parameter):
    flat, opt = _run(FACTORIES[name])
    expected, reference_opt = per_parameter(FACTORIES[name])
    for ours, theirs in zip(flat, expected):
        np.testing.assert_array_equal(ours, theirs)
    assert opt._flat_groups, "the flat path was not taken"
    ours, theirs = opt.state_dict()["state"], reference_opt.state_dict()["state"]
    assert ours.keys() == theirs.keys()
    for index in ours:
        for key, value in ours[index].items():
            np.testing.assert_array_equal(value, theirs[index][key])


def test_state_arrays_are_per_parameter_views_of_the_parameter_shape():
    _, opt = _run(FACTORIES["adam"])
    for p, state in opt.state.items():
        assert state["exp_avg"].shape == p.shape and state["step"] == 4


def _replace_data_and_state(step, params, opt):
    if step == 1:
        params[0].data = params[0].data * 2  # a new array replaces the old one
    if step == 3:
        state = opt.state[params[2]]
        state["exp_avg"] = state["exp_avg"] + 1.0  # a replaced state array is honoured


def _skip_a_gradient(step, params, opt):
    if step == 2:
        params[1].grad = None  # not updated this step; flat again afterwards (no step count in SGD)


@pytest.mark.parametrize("name, meddle", [("adam", _replace_data_and_state), ("momentum", _skip_a_gradient)])
def test_replaced_data_grad_and_state_are_honoured(name, meddle, per_parameter, monkeypatch):
    flat_steps = []
    original = _flat.FlatGroup.step
    monkeypatch.setattr(_flat.FlatGroup, "step", lambda self, *args: flat_steps.append(1) or original(self, *args))
    flat, _ = _run(FACTORIES[name], steps=6, between=meddle)
    assert len(flat_steps) == 6, "the flat path was left"
    expected, _ = per_parameter(FACTORIES[name], steps=6, between=meddle)
    for ours, theirs in zip(flat, expected):
        np.testing.assert_array_equal(ours, theirs)


def test_a_reference_to_param_data_keeps_seeing_updates():
    params = _params()
    held = params[0].data
    opt = optim.SGD(params, lr=0.1)
    for p, g in zip(params, _grads(0, params)):
        p.grad = tg.tensor(g)
    before = held.copy()
    opt.step()
    assert params[0].data is held and not np.array_equal(held, before)


def test_load_state_dict_and_add_param_group_continue_exactly(per_parameter):
    saved = []

    def meddle(step, params, opt):
        if step == 1:
            saved.append(opt.state_dict())
        if step == 3:  # rewind the optimizer to an older checkpoint (the parameters stay)
            opt.load_state_dict(saved[0])
        if step == 4:
            extra = tg.tensor(np.ones(5, np.float32), requires_grad=True)
            extra.grad = tg.tensor(np.full(5, 0.5, np.float32))
            params.append(extra)
            opt.add_param_group({"params": [extra], "lr": 0.5})

    flat, _ = _run(FACTORIES["adam"], steps=6, between=meddle)
    expected, _ = per_parameter(FACTORIES["adam"], steps=6, between=meddle)
    for ours, theirs in zip(flat, expected):
        np.testing.assert_array_equal(ours, theirs)


def test_parameters_at_different_step_counts_fall_back_one_by_one(per_parameter):
    def late_start(step, params, opt):
        if step == 0:
            params[3].grad = None  # its Adam step count stays one behind the others for good

    flat, opt = _run(FACTORIES["adam"], steps=4, between=late_start)
    expected, _ = per_parameter(FACTORIES["adam"], steps=4, between=late_start)
    for ours, theirs in zip(flat, expected):
        np.testing.assert_array_equal(ours, theirs)
    assert [opt.state[p]["step"] for p in opt.param_groups[0]["params"]] == [4, 4, 4, 3]


def test_mixed_dtypes_and_a_duplicate_parameter_match_per_parameter(per_parameter):
    def make(ps):
        doubles = [tg.tensor(np.arange(3.0), requires_grad=True), tg.tensor(np.ones(2), requires_grad=True)]
        for d in doubles:
            d.grad = tg.tensor(np.full(d.shape, 0.25))
        with pytest.warns(UserWarning, match="duplicate"):
            return optim.SGD(ps + doubles + [ps[0]], lr=0.1, momentum=0.9)

    flat, opt = _run(make, steps=3)
    expected, _ = per_parameter(make, steps=3)
    for ours, theirs in zip(flat, expected):
        np.testing.assert_array_equal(ours, theirs)
    doubles = opt.param_groups[0]["params"][4:6]
    np.testing.assert_allclose(doubles[0].data, np.arange(3.0) - 0.1 * 0.25 * (1 + 1.9 + 2.71))


def test_zero_grad_without_none_reuses_one_array_per_parameter():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    for p, g in zip(params, _grads(0, params)):
        p.grad = tg.tensor(g)
    user_array = params[0].grad.data
    opt.zero_grad(set_to_none=False)
    first = [p.grad.data for p in params]
    assert all(np.all(a == 0) for a in first) and not np.all(user_array == 0)
    (params[1] * 3.0).sum().backward()  # accumulates into the zeros by rebinding, never in place
    opt.zero_grad(set_to_none=False)
    assert all(p.grad.data is a for p, a in zip(params, first))
    assert all(np.all(a == 0) for a in first)
