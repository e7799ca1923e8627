"""Optimizers: hand-computed update steps, the book's trajectories, properties, state_dict, errors.

Every expected number below was worked out by hand (or with one line of NumPy shown next to it)
from the update rule, independently of the implementation. PyTorch parity is in
test_optim_torch.py; schedules in test_lr_scheduler.py.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import optim


def _param(*values):
    return tg.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def _trajectory(optimizer_factory, start, gradients):
    """Feed a fixed gradient sequence to a one-parameter optimizer; the value after each step."""
    p = _param(*start)
    opt = optimizer_factory([p])
    values = []
    for g in gradients:
        p.grad = tg.tensor(np.array(g, dtype=np.float64))
        opt.step()
        values.append(p.data.copy())
    return np.array(values)


HAND_COMPUTED = [
    # SGD: p <- p - lr g
    ("sgd", lambda ps: optim.SGD(ps, lr=0.1), [1.0], [[1.0], [2.0]], [0.9, 0.7]),
    # momentum 0.9: b = 1 -> p = 0.9; b = 0.9 + 2 = 2.9 -> p = 0.61; b = 2.61 + 3 = 5.61 -> p = 0.049
    ("sgd momentum", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), [1.0], [[1.0], [2.0], [3.0]],
     [0.9, 0.61, 0.049]),
    # dampening 0.5 (not applied on the first step): b = 1 -> 0.9; b = 0.9 + 0.5 * 2 = 1.9 -> 0.71
    ("sgd dampening", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5), [1.0], [[1.0], [2.0]],
     [0.9, 0.71]),
    # nesterov m 0.5: b = 1, d = 1 + 0.5 = 1.5 -> 0.85; b = 0.5 + 2 = 2.5, d = 2 + 1.25 = 3.25 -> 0.525
    ("sgd nesterov", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5, nesterov=True), [1.0], [[1.0], [2.0]],
     [0.85, 0.525]),
    # weight decay 0.1 from p = 2: d = 1.2 -> 1.88; d = 1 + 0.188 -> 1.7612
    ("sgd weight decay", lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.1), [2.0], [[1.0], [1.0]], [1.88, 1.7612]),
    # maximize: climbs instead
    ("sgd maximize", lambda ps: optim.SGD(ps, lr=0.1, maximize=True), [1.0], [[1.0]], [1.1]),
    # Adagrad eps 0: s = 9 -> p = 1 - 0.1 * 3/3 = 0.9; s = 25 -> p = 0.9 - 0.1 * 4/5 = 0.82
    ("adagrad", lambda ps: optim.Adagrad(ps, lr=0.1, eps=0.0), [1.0], [[3.0], [4.0]], [0.9, 0.82]),
    # lr_decay 1: the second step uses lr / 2 -> 0.9 - 0.04
    ("adagrad lr_decay", lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=1.0, eps=0.0), [1.0], [[3.0], [4.0]],
     [0.9, 0.86]),
    # initial accumulator 16: s = 25 -> 1 - 0.1 * 3/5
    ("adagrad initial", lambda ps: optim.Adagrad(ps, lr=0.1, initial_accumulator_value=16.0, eps=0.0), [1.0],
     [[3.0]], [0.94]),
    # RMSprop alpha 0.5: v = 2 -> 1 - 0.2/sqrt(2); v = 1 + 2 = 3 -> minus 0.2/sqrt(3)
    ("rmsprop", lambda ps: optim.RMSprop(ps, lr=0.1, alpha=0.5, eps=0.0), [1.0], [[2.0], [2.0]],
     [1 - 0.2 / math.sqrt(2), 1 - 0.2 / math.sqrt(2) - 0.2 / math.sqrt(3)]),
    # centered: v = 2, g_avg = 1, r = 1 -> 0.8; v = 3, g_avg = 1.5, r = sqrt(0.75)
    ("rmsprop centered", lambda ps: optim.RMSprop(ps, lr=0.1, alpha=0.5, eps=0.0, centered=True), [1.0],
     [[2.0], [2.0]], [0.8, 0.8 - 0.2 / math.sqrt(0.75)]),
    # momentum 0.5: b = 2/sqrt(2) -> p -= 0.1 b; b = 0.5 b + 2/sqrt(3)
    ("rmsprop momentum", lambda ps: optim.RMSprop(ps, lr=0.1, alpha=0.5, eps=0.0, momentum=0.5), [1.0],
     [[2.0], [2.0]], [1 - 0.1 * math.sqrt(2), 1 - 0.1 * math.sqrt(2) - 0.1 * (math.sqrt(2) / 2 + 2 / math.sqrt(3))]),
    # Adam betas (.5, .5), eps 0: m = 1, v = 2, m^ = 2, v^ = 4 -> 0.9;
    # m = 2.5, v = 9, m^ = 10/3, v^ = 12 -> 0.9 - 0.1 (10/3)/sqrt(12)
    ("adam", lambda ps: optim.Adam(ps, lr=0.1, betas=(0.5, 0.5), eps=0.0), [1.0], [[2.0], [4.0]],
     [0.9, 0.9 - 0.1 * (10 / 3) / math.sqrt(12)]),
    # eps 1 separates the conventions: pytorch 1 - 0.1 * 2/(2 + 1);
    # book 1 - 0.1 sqrt(.5)/.5 * 1/(sqrt(2) + 1)
    ("adam eps pytorch", lambda ps: optim.Adam(ps, lr=0.1, betas=(0.5, 0.5), eps=1.0), [1.0], [[2.0]],
     [1 - 0.2 / 3]),
    ("adam eps book", lambda ps: optim.Adam(ps, lr=0.1, betas=(0.5, 0.5), eps=1.0, convention="book"), [1.0],
     [[2.0]], [1 - 0.1 * math.sqrt(0.5) / 0.5 / (math.sqrt(2) + 1)]),
    # amsgrad: v = 8 then 4 but the max 8 is used: m = 1, m^ = 4/3, v^ = 8/.75
    ("adam amsgrad", lambda ps: optim.Adam(ps, lr=0.1, betas=(0.5, 0.5), eps=0.0, amsgrad=True), [1.0],
     [[4.0], [0.0]], [0.9, 0.9 - 0.1 * (1 / 0.75) / math.sqrt(8 / 0.75)]),
    # L2 weight decay folds into the gradient; on Adam's first step only its sign matters -> 0.9
    ("adam weight decay", lambda ps: optim.Adam(ps, lr=0.1, betas=(0.5, 0.5), eps=0.0, weight_decay=0.5), [1.0],
     [[2.0]], [0.9]),
    # AdamW decays the weight itself first: 1 * (1 - 0.1 * 0.5) = 0.95, then the Adam step 0.1
    ("adamw", lambda ps: optim.AdamW(ps, lr=0.1, betas=(0.5, 0.5), eps=0.0, weight_decay=0.5), [1.0], [[2.0]],
     [0.85]),
    # book Momentum: v = -0.1 -> 0.9; v = -0.09 - 0.2 = -0.29 -> 0.61
    ("book momentum", lambda ps: optim.Momentum(ps, lr=0.1, momentum=0.9), [1.0], [[1.0], [2.0]], [0.9, 0.61]),
    # book Nesterov m 0.5: v = -0.1, p = 1 + 0.25 (-0.1) - 1.5 (0.1) = 0.825;
    # v = -0.05 - 0.2 = -0.25, p = 0.825 + 0.25 (-0.25) - 1.5 (0.2) = 0.4625
    ("book nesterov", lambda ps: optim.Nesterov(ps, lr=0.1, momentum=0.5), [1.0], [[1.0], [2.0]], [0.825, 0.4625]),
    # book AdaGrad: h = 9 -> 1 - 0.1 * 3/(3 + 1e-7); h = 25 -> minus 0.1 * 4/(5 + 1e-7)
    ("book adagrad", lambda ps: optim.AdaGrad(ps, lr=0.1), [1.0], [[3.0], [4.0]],
     [1 - 0.3 / (3 + 1e-7), 1 - 0.3 / (3 + 1e-7) - 0.4 / (5 + 1e-7)]),
    # book RMSProp decay 0.5: h = 2 -> 1 - 0.1 * 2/(sqrt(2) + 1e-7)
    ("book rmsprop", lambda ps: optim.RMSProp(ps, lr=0.1, decay_rate=0.5), [1.0], [[2.0]],
     [1 - 0.2 / (math.sqrt(2) + 1e-7)]),
]


@pytest.mark.parametrize("name, factory, start, gradients, expected", HAND_COMPUTED, ids=[c[0] for c in HAND_COMPUTED])
def test_hand_computed_steps(name, factory, start, gradients, expected):
    values = _trajectory(factory, start, gradients)
    np.testing.assert_allclose(values[:, 0], expected, rtol=1e-12, atol=1e-15)


def _book_function(p):
    x, y = p[0], p[1]
    return x * x / 20 + y * y


@pytest.mark.parametrize("factory, expected", [
    (lambda ps: optim.SGD(ps, lr=0.95), (-0.350, 0.085)),
    (lambda ps: optim.Momentum(ps, lr=0.1), (0.896, 0.088)),
    (lambda ps: optim.AdaGrad(ps, lr=1.5), (-0.120, 0.0)),
    (lambda ps: optim.Adam(ps, lr=0.3, convention="book"), (0.136, 0.318)),
], ids=["SGD", "Momentum", "AdaGrad", "Adam-book"])
def test_the_books_paths_on_x2_over_20_plus_y2(factory, expected):
    """DLfS ch. 6 (optimizer_compare_naive.py): start (-7, 2), 30 updates, end points from the book's formulas."""
    p = _param(-7.0, 2.0)
    opt = factory([p])
    for _ in range(30):
        opt.zero_grad()
        _book_function(p).backward()
        opt.step()
    np.testing.assert_allclose(p.data, expected, atol=1e-3)


def test_adam_conventions_barely_differ_on_the_books_function():
    """With eps=1e-8 and gradients of order 0.1..1, where eps sits moves the path by < 1e-5:
    the book's figure is reproduced by either convention (a fact the docs quote)."""
    p, q = _param(-7.0, 2.0), _param(-7.0, 2.0)
    book, torch_form = optim.Adam([p], lr=0.3, convention="book"), optim.Adam([q], lr=0.3)
    for _ in range(30):
        for t, opt in ((p, book), (q, torch_form)):
            opt.zero_grad()
            _book_function(t).backward()
            opt.step()
    assert 0 < np.abs(p.data - q.data).max() < 1e-5


ALL_FACTORIES = {
    "SGD": lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9, weight_decay=0.1, nesterov=True),
    "SGD-dampened": lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9, dampening=0.2),
    "Adagrad": lambda ps, lr: optim.Adagrad(ps, lr=lr, lr_decay=0.1, weight_decay=0.1),
    "RMSprop": lambda ps, lr: optim.RMSprop(ps, lr=lr, momentum=0.5, centered=True, weight_decay=0.1),
    "Adam": lambda ps, lr: optim.Adam(ps, lr=lr, amsgrad=True, weight_decay=0.1),
    "Adam-book": lambda ps, lr: optim.Adam(ps, lr=lr, convention="book"),
    "AdamW": lambda ps, lr: optim.AdamW(ps, lr=lr),
    "Momentum": lambda ps, lr: optim.Momentum(ps, lr=lr),
    "Nesterov": lambda ps, lr: optim.Nesterov(ps, lr=lr),
    "AdaGrad": lambda ps, lr: optim.AdaGrad(ps, lr=lr),
    "RMSProp": lambda ps, lr: optim.RMSProp(ps, lr=lr),
}
finite = st.floats(-10, 10, allow_nan=False)


@pytest.mark.parametrize("name", ALL_FACTORIES)
@given(start=st.lists(finite, min_size=1, max_size=4), scale=st.floats(0.01, 10))
def test_zero_learning_rate_changes_nothing(name, start, scale):
    p = _param(*start)
    before = p.data.copy()
    opt = ALL_FACTORIES[name]([p], 0.0)
    for k in range(3):
        p.grad = tg.tensor(np.linspace(-scale, scale, len(start)) + k)
        opt.step()
    np.testing.assert_array_equal(p.data, before)


@pytest.mark.parametrize("name", ALL_FACTORIES)
def test_steps_never_write_into_the_gradient_and_keep_the_dtype(name):
    p = tg.tensor(np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32), requires_grad=True)
    opt = ALL_FACTORIES[name]([p], 0.1)
    for k in range(3):
        grad = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32) * (k + 1)
        grad.flags.writeable = False  # any in-place write into the gradient raises
        p.grad = tg.tensor(grad)
        p.grad.data = grad
        opt.step()
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))


gradient_lists = st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=6)


@given(gradients=gradient_lists, lr=st.floats(1e-3, 1.0), momentum=st.floats(0.0, 0.99))
def test_book_momentum_is_pytorch_momentum_at_constant_lr(gradients, lr, momentum):
    """v_book = -lr * b_torch at every step, so the parameters coincide."""
    book = _trajectory(lambda ps: optim.Momentum(ps, lr=lr, momentum=momentum), [1.0, -2.0, 0.5], gradients)
    torch_form = _trajectory(lambda ps: optim.SGD(ps, lr=lr, momentum=momentum), [1.0, -2.0, 0.5], gradients)
    np.testing.assert_allclose(book, torch_form, rtol=1e-9, atol=1e-9)


def test_book_momentum_velocity_is_minus_lr_times_the_pytorch_buffer():
    p, q = _param(1.0, 2.0), _param(1.0, 2.0)
    book, torch_form = optim.Momentum([p], lr=0.3, momentum=0.8), optim.SGD([q], lr=0.3, momentum=0.8)
    for g in ([1.0, -1.0], [0.5, 2.0], [-3.0, 0.0]):
        p.grad, q.grad = tg.tensor(g, dtype=np.float64), tg.tensor(g, dtype=np.float64)
        book.step()
        torch_form.step()
        np.testing.assert_allclose(book.state[p]["velocity"], -0.3 * torch_form.state[q]["momentum_buffer"])


def test_book_nesterov_differs_from_pytorch_nesterov():
    """The book's code uses the updated v; PyTorch (Bengio et al.'s form) the previous one."""
    book = _trajectory(lambda ps: optim.Nesterov(ps, lr=0.1, momentum=0.5), [1.0], [[1.0]])
    torch_form = _trajectory(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5, nesterov=True), [1.0], [[1.0]])
    assert book[0, 0] == pytest.approx(0.825) and torch_form[0, 0] == pytest.approx(0.85)


@given(start=st.lists(st.floats(-3, 3), min_size=2, max_size=2), weight_decay=st.floats(0.0, 1.0),
       momentum=st.sampled_from([0.0, 0.9]))
def test_l2_in_the_loss_equals_weight_decay_in_sgd(start, weight_decay, momentum):
    target = tg.tensor([1.0, -1.0], dtype=np.float64)
    p, q = _param(*start), _param(*start)
    in_loss = optim.SGD([p], lr=0.1, momentum=momentum)
    in_optimizer = optim.SGD([q], lr=0.1, momentum=momentum, weight_decay=weight_decay)
    for _ in range(4):
        for t, opt, l2 in ((p, in_loss, weight_decay), (q, in_optimizer, 0.0)):
            opt.zero_grad()
            loss = ((t - target) ** 2).sum() + 0.5 * l2 * (t * t).sum()
            loss.backward()
            opt.step()
    np.testing.assert_allclose(p.data, q.data, rtol=1e-10, atol=1e-12)


@given(gradients=gradient_lists, eps=st.sampled_from([1e-8, 1e-3, 0.1]))
def test_adam_book_steps_are_never_longer_and_point_the_same_way(gradients, eps):
    """Same gradients give the same m and v; the book's eps sits on the uncorrected root, which
    shrinks its step by a factor in (0, 1] that tends to 1 as 1 - beta2^t -> 1."""
    start = [0.0, 0.0, 0.0]
    book = np.diff(_trajectory(lambda ps: optim.Adam(ps, lr=0.1, eps=eps, convention="book"), start, gradients),
                   axis=0, prepend=[start])
    torch_form = np.diff(_trajectory(lambda ps: optim.Adam(ps, lr=0.1, eps=eps), start, gradients),
                         axis=0, prepend=[start])
    assert np.all(np.abs(book) <= np.abs(torch_form) * (1 + 1e-9) + 1e-15)
    assert np.all(np.sign(book) == np.sign(torch_form))


nonzero = st.floats(0.1, 10) | st.floats(-10, -0.1)


@given(gradients=st.lists(st.lists(nonzero, min_size=3, max_size=3), min_size=1, max_size=6))
def test_adam_conventions_coincide_without_eps(gradients):
    start = [0.5, -0.5, 1.0]
    book = _trajectory(lambda ps: optim.Adam(ps, lr=0.1, eps=0.0, convention="book"), start, gradients)
    torch_form = _trajectory(lambda ps: optim.Adam(ps, lr=0.1, eps=0.0), start, gradients)
    np.testing.assert_allclose(book, torch_form, rtol=1e-12, atol=1e-12)


def _two_params():
    return [_param(1.0, -2.0, 0.5), tg.tensor(np.array([[0.3, -0.7]]), requires_grad=True)]


def _feed(params, step):
    rng = np.random.default_rng(step)
    for p in params:
        p.grad = tg.tensor(rng.normal(size=p.shape))


@pytest.mark.parametrize("name", ALL_FACTORIES)
def test_state_dict_round_trip_resumes_identically(name):
    uninterrupted = _two_params()
    reference = ALL_FACTORIES[name](uninterrupted, 0.05)
    for step in range(6):
        _feed(uninterrupted, step)
        reference.step()
    interrupted = _two_params()
    first = ALL_FACTORIES[name](interrupted, 0.05)
    for step in range(3):
        _feed(interrupted, step)
        first.step()
    saved = first.state_dict()
    resumed_params = [tg.tensor(p.data.copy(), requires_grad=True) for p in interrupted]
    resumed = ALL_FACTORIES[name](resumed_params, 0.5)  # a different lr: load_state_dict restores 0.05
    resumed.load_state_dict(saved)
    first.step()  # moving on with the first optimizer must not leak into the saved copy
    for step in range(3, 6):
        _feed(resumed_params, step)
        resumed.step()
    for p, q in zip(resumed_params, uninterrupted):
        np.testing.assert_array_equal(p.data, q.data)
    assert resumed.param_groups[0]["lr"] == 0.05


def test_state_dict_layout_is_pytorchs():
    params = _two_params()
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.01)
    _feed(params, 0)
    params[1].grad = None  # no step taken for it: no state entry
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in saved["param_groups"]] == [0.01, 0.5]
    assert saved["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(saved["state"]) == [0]
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq"} and saved["state"][0]["step"] == 1
    saved["state"][0]["exp_avg"][...] = 123.0  # a copy: the optimizer's own state is untouched
    assert not np.any(opt.state[params[0]]["exp_avg"] == 123.0)


def test_load_state_dict_accepts_what_a_checkpoint_file_gives_back():
    """npz round trips turn int keys into strings and numbers into 0-d arrays, tuples into arrays."""
    params = _two_params()
    opt = optim.Adam(params, lr=0.01)
    _feed(params, 0)
    opt.step()
    saved = opt.state_dict()
    mangled = {"state": {str(k): {key: np.asarray(v) for key, v in entry.items()}
                         for k, entry in saved["state"].items()},
               "param_groups": [{key: np.asarray(v) for key, v in g.items()} for g in saved["param_groups"]]}
    other = optim.Adam(params, lr=0.3)
    other.load_state_dict(mangled)
    assert other.param_groups[0]["lr"] == 0.01 and isinstance(other.param_groups[0]["lr"], float)
    assert other.param_groups[0]["betas"] == (0.9, 0.999) and other.state[params[0]]["step"] == 1
    np.testing.assert_array_equal(other.state[params[1]]["exp_avg_sq"], opt.state[params[1]]["exp_avg_sq"])


def _loaded_fails(opt, state_dict, message):
    before_groups = [dict(g) for g in opt.param_groups]
    before_state = {p: {k: np.copy(v) for k, v in s.items()} for p, s in opt.state.items()}
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(state_dict)
    assert opt.param_groups == before_groups
    assert opt.state.keys() == before_state.keys()
    for p, entry in before_state.items():
        for key, value in entry.items():
            np.testing.assert_array_equal(opt.state[p][key], value)


def test_load_state_dict_validates_and_changes_nothing_on_failure():
    params = _two_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    _feed(params, 0)
    opt.step()
    good = opt.state_dict()
    two_groups = optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1, momentum=0.9).state_dict()
    _loaded_fails(opt, two_groups, "different number of parameter groups")
    short = {"state": {}, "param_groups": [dict(good["param_groups"][0], params=[0])]}
    _loaded_fails(opt, short, "doesn't match the size")
    wrong_shape = {"state": {0: {"momentum_buffer": np.zeros(7)}, 1: good["state"][1]},
                   "param_groups": good["param_groups"]}
    _loaded_fails(opt, wrong_shape, r"momentum_buffer.*shape \(7,\).*\(3,\)")
    adam_state = optim.Adam(_two_params()).state_dict()
    _loaded_fails(opt, adam_state, "lacks the hyperparameters")
    _loaded_fails(opt, {"state": {}}, "needs the keys")
    stray = {"state": {5: {"momentum_buffer": np.zeros(3)}}, "param_groups": good["param_groups"]}
    _loaded_fails(opt, stray, "parameter 5")


def test_param_groups_take_their_own_hyperparameters_and_defaults_fill_the_rest():
    a, b, c = _param(1.0), _param(1.0), _param(1.0)
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": b}], lr=0.1)
    opt.add_param_group({"params": [c], "momentum": 0.9})
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0, 0, 0.9]
    for p in (a, b, c):
        p.grad = tg.tensor([1.0], dtype=np.float64)
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0], c.data[0]], [0.5, 0.9, 0.9])


def test_parameters_without_gradient_are_skipped_and_get_no_state():
    a, b = _param(1.0), _param(2.0)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = tg.tensor([1.0], dtype=np.float64)
    opt.step()
    assert b.data[0] == 2.0 and b not in opt.state and a.data[0] == pytest.approx(0.9)


def test_zero_grad_sets_none_or_fresh_zeros_without_touching_the_old_array():
    p = _param(1.0, 2.0)
    opt = optim.SGD([p], lr=0.1)
    shared = np.array([3.0, 4.0])
    p.grad = tg.tensor(shared)
    p.grad.data = shared
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])
    np.testing.assert_array_equal(shared, [3.0, 4.0])
    opt.zero_grad()
    assert p.grad is None


def test_step_with_a_closure_records_the_graph_even_under_no_grad():
    p = _param(3.0)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and p.data[0] == pytest.approx(3.0 - 0.25 * 6.0)


def test_an_optimizer_drives_a_small_regression_to_its_solution():
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.normal(size=(64, 3)))
    y = x @ tg.tensor([[1.5], [-2.0], [0.5]]) + 0.25
    w = tg.tensor(np.zeros((3, 1)), requires_grad=True)
    b = tg.tensor(np.zeros(1), requires_grad=True)
    opt = optim.Adam([w, b], lr=0.05)
    for _ in range(400):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.data.ravel(), [1.5, -2.0, 0.5], atol=1e-3)
    np.testing.assert_allclose(b.data, [0.25], atol=1e-3)


@pytest.mark.parametrize("make, error, message", [
    (lambda p: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda p: optim.SGD(p, lr=0.1), TypeError, "single Tensor"),
    (lambda p: optim.SGD({p}, lr=0.1), TypeError, "use a list"),
    (lambda p: optim.SGD({"params": [p]}, lr=0.1), TypeError, "wrap it in a list"),
    (lambda p: optim.SGD([p, np.zeros(2)], lr=0.1), TypeError, "can only optimize Tensors"),
    (lambda p: optim.SGD([p * 2], lr=0.1), ValueError, "non-leaf"),
    (lambda p: optim.SGD([tg.tensor([1, 2])], lr=0.1), TypeError, "floating-point"),
    (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1), ValueError, "more than one parameter group"),
    (lambda p: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError, "'params' entry"),
    (lambda p: optim.SGD([p], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda p: optim.SGD([p], lr=0.1, nesterov=True), ValueError, "Nesterov momentum requires a momentum"),
    (lambda p: optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "zero dampening"),
    (lambda p: optim.SGD([p], lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
    (lambda p: optim.Adam([p], betas=(0.9, 1.0)), ValueError, "beta parameter at index 1"),
    (lambda p: optim.Adam([p], eps=-1.0), ValueError, "epsilon"),
    (lambda p: optim.Adam([p], convention="dezero"), ValueError, "convention must be one of"),
    (lambda p: optim.Adagrad([p], lr_decay=-1.0), ValueError, "lr_decay"),
    (lambda p: optim.RMSprop([p], alpha=-0.5), ValueError, "alpha"),
    (lambda p: optim.RMSProp([p], decay_rate=-0.5), ValueError, "decay_rate"),
    (lambda p: optim.Momentum([p], momentum=-0.5), ValueError, "momentum"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_user_errors_name_the_problem(make, error, message):
    with pytest.raises(error, match=message):
        make(_param(1.0, 2.0))


def test_add_param_group_rejects_a_parameter_already_optimized():
    p, q = _param(1.0), _param(2.0)
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [q, p]})
    assert len(opt.param_groups) == 1
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([q, q], lr=0.1)


def test_a_subclass_without_an_update_rule_says_what_to_define():
    class NoRule(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

    p = _param(1.0, 2.0)
    p.grad = tg.tensor(np.array([1.0, 1.0]))
    with pytest.raises(TypeError, match=r"NoRule must define _update\(group, param, grad, state, work\)"):
        NoRule([p]).step()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])


def test_frozen_parameters_are_accepted_and_never_move():
    """As in PyTorch, a tensor that does not require grad may sit in a group; it has no grad."""
    frozen, live = tg.tensor([1.0], dtype=np.float64), _param(1.0)
    opt = optim.SGD([frozen, live], lr=0.1)
    (live * 3).sum().backward()
    opt.step()
    assert frozen.data[0] == 1.0 and live.data[0] == pytest.approx(0.7)


def test_repr_lists_each_group():
    text = repr(optim.SGD([{"params": [_param(1.0)], "lr": 0.5}], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.5" in text and "momentum: 0.9" in text


def test_optimizer_and_scheduler_resume_exactly_from_a_checkpoint_file(tmp_path):
    def make(params):
        opt = optim.Adam(params, lr=0.05, amsgrad=True, weight_decay=0.01)
        return opt, optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)

    uninterrupted = _two_params()
    opt, scheduler = make(uninterrupted)
    for step in range(6):
        _feed(uninterrupted, step)
        opt.step()
        scheduler.step()
    params = _two_params()
    opt, scheduler = make(params)
    for step in range(3):
        _feed(params, step)
        opt.step()
        scheduler.step()
    path = tmp_path / "run.npz"
    tg.save({"params": [p.data for p in params], "opt": opt.state_dict(), "sched": scheduler.state_dict()}, path)
    saved = tg.load(path)
    resumed_params = [tg.tensor(a, requires_grad=True) for a in saved["params"]]
    opt, scheduler = make(resumed_params)
    opt.load_state_dict(saved["opt"])
    scheduler.load_state_dict(saved["sched"])
    for step in range(3, 6):
        _feed(resumed_params, step)
        opt.step()
        scheduler.step()
    for p, q in zip(resumed_params, uninterrupted):
        np.testing.assert_array_equal(p.data, q.data)
    assert scheduler.get_last_lr() == [0.05 * 0.25]


@pytest.mark.parametrize("convention", ["pytorch", "book"])
def test_adam_loads_a_state_without_the_convention_key_and_keeps_its_own(convention):
    """PyTorch's Adam state has no "convention" (issue 15): loading it keeps the optimizer's."""
    p = tg.tensor([1.0, -2.0], requires_grad=True)
    source = optim.Adam([p], lr=0.1)
    p.grad = tg.tensor([0.5, 0.5])
    source.step()
    saved = source.state_dict()
    del saved["param_groups"][0]["convention"]
    target = optim.Adam([tg.tensor([1.0, -2.0], requires_grad=True)], lr=0.3, convention=convention)
    target.load_state_dict(saved)
    assert target.param_groups[0]["convention"] == convention and target.param_groups[0]["lr"] == 0.1
    assert target.state_dict()["state"][0]["step"] == 1
    del saved["param_groups"][0]["betas"]  # a key both libraries have is still required
    with pytest.raises(ValueError, match=r"lacks the hyperparameters \['betas'\]"):
        target.load_state_dict(saved)
