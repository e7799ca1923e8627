"""Optimizer.load_state_dict checks every entry before changing anything; step() refuses misshapen grads."""
import copy

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.optim as optim


def params():
    return [tg.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True),
            tg.tensor(np.array([[0.3, -0.7]]), requires_grad=True)]


def stepped(factory):
    ps = params()
    opt = factory(ps)
    for p in ps:
        p.grad = tg.tensor(np.full(p.shape, 0.5))
    opt.step()
    return opt, opt.state_dict()


def snapshot(opt):
    return copy.deepcopy(([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
                          [{k: np.copy(v) for k, v in opt.state[p].items()} for g in opt.param_groups
                           for p in g["params"]]))


def assert_refused(opt, state_dict, error, message):
    before = snapshot(opt)
    with pytest.raises(error, match=message):
        opt.load_state_dict(state_dict)
    after = snapshot(opt)
    assert before[0] == after[0]
    for old, new in zip(before[1], after[1]):
        assert old.keys() == new.keys() and all(np.array_equal(old[k], new[k]) for k in old)


def edited(state_dict, group=None, state=None, drop_state=None, drop_group=None):
    result = copy.deepcopy(state_dict)
    result["param_groups"][0].update(group or {})
    result["state"][0].update(state or {})
    if drop_state:
        del result["state"][0][drop_state]
    if drop_group:
        del result["param_groups"][0][drop_group]
    return result


ADAM = lambda ps: optim.Adam(ps, lr=0.01)  # noqa: E731


@pytest.mark.parametrize("change, error, message", [
    ({"state": {"step": -3}}, ValueError, r"state\[0\]\['step'\] must be a finite number >= 0, got -3"),
    ({"state": {"step": 2.5}}, ValueError, r"state\[0\]\['step'\] must be a whole number"),
    ({"state": {"step": "3"}}, TypeError, r"state\[0\]\['step'\] must be a number, got str"),
    ({"group": {"lr": "0.1"}}, TypeError, r"param_groups\[0\]\['lr'\] must be a number, got str"),
    ({"group": {"lr": -0.1}}, ValueError, r"param_groups\[0\]\['lr'\] must be a finite number >= 0"),
    ({"group": {"eps": float("nan")}}, ValueError, r"\['eps'\] must be a finite number >= 0, got nan"),
    ({"group": {"betas": (0.9,)}}, ValueError, r"\['betas'\] must be a sequence of 2 numbers"),
    ({"group": {"betas": (0.9, 1.5)}}, ValueError, r"\['betas'\] must lie in \[0, 1\)"),
    ({"group": {"amsgrad": "yes"}}, TypeError, r"\['amsgrad'\] must be True or False"),
    ({"group": {"convention": "keras"}}, ValueError, r"\['convention'\] must be one of \('pytorch', 'book'\)"),
    ({"drop_state": "exp_avg_sq"}, ValueError, r"state\[0\] must hold exactly .* missing \['exp_avg_sq'\]"),
    ({"state": {"momentum_buffer": np.zeros(3)}}, ValueError, r"unexpected \['momentum_buffer'\]"),
    ({"state": {"exp_avg": np.zeros((3, 1))}}, ValueError, r"state\[0\]\['exp_avg'\] has shape \(3, 1\), but the "
                                                           r"parameter has shape \(3,\)"),
    ({"state": {"exp_avg": np.array(["a", "b", "c"])}}, TypeError, r"\['exp_avg'\] must be a numeric array"),
    ({"drop_group": "params"}, ValueError, r"param_groups\[0\] has no 'params' entry"),
    ({"group": {"params": [0, 0]}}, ValueError, "parameter index 0 more than once"),
    ({"group": {"params": ["0", "1"]}}, TypeError, r"\['params'\] must hold non-negative int indices"),
])
def test_adam_load_state_dict_names_the_bad_entry_and_changes_nothing(change, error, message):
    opt, good = stepped(ADAM)
    bad = edited(good, **change)
    assert_refused(opt, bad, error, message)
    opt.load_state_dict(good)  # the good one still loads afterwards


def test_the_required_state_follows_the_group_hyperparameters():
    opt, good = stepped(lambda ps: optim.Adam(ps, amsgrad=True))
    assert_refused(opt, edited(good, drop_state="max_exp_avg_sq"), ValueError, r"missing \['max_exp_avg_sq'\]")
    opt, good = stepped(lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True))
    assert_refused(opt, edited(good, drop_state="grad_avg"), ValueError, r"missing \['grad_avg'\]")
    opt, good = stepped(lambda ps: optim.Momentum(ps))
    assert_refused(opt, edited(good, state={"h": np.zeros(3)}), ValueError, r"unexpected \['h'\]")


def test_what_pytorch_saves_loads_here():
    torch = pytest.importorskip("torch")
    weight = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    torch_opt = torch.optim.Adam([weight], lr=0.01)
    weight.grad = torch.full((3,), 0.5, dtype=torch.float64)
    torch_opt.step()
    saved = torch_opt.state_dict()  # step is a float tensor, betas a tuple, extra keys such as foreach=None
    state = {k: {name: value.numpy() for name, value in entry.items()} for k, entry in saved["state"].items()}
    ours = tg.tensor(weight.detach().numpy().copy(), requires_grad=True)
    opt = optim.Adam([ours], lr=0.5)
    opt.load_state_dict({"state": state, "param_groups": saved["param_groups"]})
    assert opt.param_groups[0]["lr"] == 0.01 and opt.state[ours]["step"] == 1
    ours.grad = tg.tensor(np.full(3, 0.25))
    weight.grad = torch.full((3,), 0.25, dtype=torch.float64)
    opt.step()
    torch_opt.step()
    np.testing.assert_allclose(ours.data, weight.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("factory", [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.Adam(ps)])
def test_step_refuses_a_gradient_shaped_unlike_its_parameter(factory):
    p = tg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    opt = factory([p])
    p.grad = tg.zeros_like(p)  # a well-shaped gradient passes the assignment check ...
    p.grad.data = np.array([1.0])  # ... and a write through .data (never checked) misshapes it
    before = p.data.copy()
    with pytest.raises(RuntimeError, match=r"step: a parameter of shape \(3,\) has a \.grad of shape \(1,\)"):
        opt.step()
    np.testing.assert_array_equal(p.data, before)
