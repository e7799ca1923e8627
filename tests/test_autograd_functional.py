"""tinygrad_edu.autograd.functional: values against central differences, structures and errors against PyTorch.

Every function below is written with methods both libraries share, so the same Python code runs
on tinygrad_edu and on torch tensors. Central differences are the independent oracle for values
(no torch needed); PyTorch, when installed, is the oracle for return structures, error messages
and values to ~1e-12.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.autograd.functional as AF


def single(x):
    return (x.exp() * x.sin()).sum()


def vector_out(x):
    return x.tanh() * x.sum()


def two_in_two_out(x, y):
    return (x * y).sum(), (x.exp().reshape(3, 1) @ y.reshape(1, 3)).sum(1) * x[0]


def two_in_scalar(x, y):
    return (x.sin() * y * y).sum()


FUNCTIONS = {
    "single": (single, ((3,),)),
    "vector_out": (vector_out, ((4,),)),
    "two_in_two_out": (two_in_two_out, ((3,), (3,))),
    "two_in_scalar": (two_in_scalar, ((2, 3), (2, 3))),
}
SCALAR = ["single", "two_in_scalar"]


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(-1, 1, s) for s in shapes)


def _pack(arrays, make, as_tuple):
    values = tuple(make(a) for a in arrays)
    return values if as_tuple or len(values) > 1 else values[0]


def _structure(result):
    """The nesting of a result with every tensor replaced by its shape."""
    if isinstance(result, tuple):
        return tuple(_structure(r) for r in result)
    return ("T", tuple(result.shape))


def _arrays(result):
    if isinstance(result, tuple):
        return [a for r in result for a in _arrays(r)]
    return [result.detach().numpy() if hasattr(result, "detach") else result.data]


def _numerical_jacobian(func, arrays, eps=1e-6):
    """J[i][j] of func by central differences, on float64 arrays (the independent oracle)."""
    def outputs(values):
        out = func(*(tg.tensor(v) for v in values))
        return [o.data for o in (out if isinstance(out, tuple) else (out,))]
    base = outputs(arrays)
    blocks = [[np.zeros(o.shape + a.shape) for a in arrays] for o in base]
    for j, a in enumerate(arrays):
        for index in np.ndindex(a.shape):
            plus = [v.copy() for v in arrays]
            minus = [v.copy() for v in arrays]
            plus[j][index] += eps
            minus[j][index] -= eps
            for i, (hi, lo) in enumerate(zip(outputs(plus), outputs(minus))):
                blocks[i][j][(Ellipsis,) + index] = (hi - lo) / (2 * eps)
    return blocks


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jacobian_matches_central_differences(name, strategy):
    func, shapes = FUNCTIONS[name]
    arrays = _inputs(shapes)
    jac = AF.jacobian(func, tuple(tg.tensor(a) for a in arrays), strategy=strategy)
    expected = _numerical_jacobian(func, arrays)
    for i, row in enumerate(expected):
        for j, block in enumerate(row):
            np.testing.assert_allclose(jac[i][j].data if isinstance(jac[0], tuple) else jac[j].data, block,
                                       atol=1e-7, err_msg=f"d output {i} / d input {j}")


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_hessian_is_the_jacobian_of_the_gradient(strategy):
    arrays = _inputs(((2, 3), (2, 3)))

    def gradient(x, y):
        return tuple(tg.autograd.grad(two_in_scalar(x, y), (x, y), create_graph=True))

    hess = AF.hessian(two_in_scalar, tuple(tg.tensor(a) for a in arrays), outer_jacobian_strategy=strategy)
    expected = AF.jacobian(gradient, tuple(tg.tensor(a, requires_grad=True) for a in arrays))
    numerical = _numerical_jacobian(lambda x, y: tuple(g.detach() for g in gradient(
        x.requires_grad_(), y.requires_grad_())), arrays)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(hess[i][j].data, expected[i][j].data, atol=1e-12)
            np.testing.assert_allclose(hess[i][j].data, numerical[i][j], atol=1e-6)
            np.testing.assert_allclose(hess[i][j].data.reshape(6, 6), hess[j][i].data.reshape(6, 6).T, atol=1e-12)


def test_products_agree_with_the_full_matrices():
    arrays = _inputs(((3,), (3,)))
    x, y = (tg.tensor(a) for a in arrays)
    u = (tg.tensor([0.5]).reshape(()), tg.tensor([1.0, -2.0, 0.25]))
    v = (tg.tensor([0.3, -0.7, 1.1]), tg.tensor([2.0, 0.1, -0.4]))
    jac = AF.jacobian(two_in_two_out, (x, y))
    outputs, vj = AF.vjp(two_in_two_out, (x, y), u)
    _, jv = AF.jvp(two_in_two_out, (x, y), v)
    for j in range(2):
        expected = sum(np.tensordot(u[i].data, jac[i][j].data, axes=u[i].ndim) for i in range(2))
        np.testing.assert_allclose(vj[j].data, expected, atol=1e-12)
    for i in range(2):
        expected = sum(np.tensordot(jac[i][j].data, v[j].data, axes=1) for j in range(2))
        np.testing.assert_allclose(jv[i].data, expected, atol=1e-12)
    np.testing.assert_allclose(outputs[0].data, (arrays[0] * arrays[1]).sum())
    hess = AF.hessian(two_in_scalar, (x.reshape(1, 3), y.reshape(1, 3)))
    vh = AF.vhp(two_in_scalar, (x.reshape(1, 3), y.reshape(1, 3)), (v[0].reshape(1, 3), v[1].reshape(1, 3)))[1]
    hv = AF.hvp(two_in_scalar, (x.reshape(1, 3), y.reshape(1, 3)), (v[0].reshape(1, 3), v[1].reshape(1, 3)))[1]
    for i in range(2):
        expected = sum(hess[i][j].data.reshape(3, 3) @ v[j].data for j in range(2))
        np.testing.assert_allclose(hv[i].data.reshape(-1), expected, atol=1e-12)
        np.testing.assert_allclose(vh[i].data, hv[i].data, atol=1e-12)  # H is symmetric


def test_create_graph_keeps_the_result_differentiable():
    x = tg.tensor([0.3, -0.2, 0.9], requires_grad=True)
    jac = AF.jacobian(lambda t: t.sin() * t.sum(), x, create_graph=True)
    assert jac.requires_grad
    jac.sum().backward()
    # sum_ij d(sin(x_i) S)/dx_j = sum_i cos(x_i) S + n sum_i sin(x_i), S = sum(x); its derivative
    # in x_k is -sin(x_k) S + sum_i cos(x_i) + n cos(x_k)
    a, s = x.data, x.data.sum()
    np.testing.assert_allclose(x.grad.data, -np.sin(a) * s + np.cos(a).sum() + 3 * np.cos(a), atol=1e-6)
    forward = AF.jacobian(lambda t: t.sin() * t.sum(), x, create_graph=True, strategy="forward-mode")
    assert forward.requires_grad
    (again,) = tg.autograd.grad(forward.sum(), x)
    np.testing.assert_allclose(again.data, x.grad.data, atol=1e-12)
    plain = AF.jacobian(lambda t: t.sin() * t.sum(), x)
    assert not plain.requires_grad and plain.grad_fn is None
    hv = AF.hvp(single, x, tg.ones(3, dtype=np.float64), create_graph=True)[1]
    assert hv.requires_grad


def test_inputs_are_left_alone():
    x = tg.tensor([0.3, -0.2], requires_grad=True)
    AF.vjp(lambda t: t.exp().sum(), x)
    AF.hessian(lambda t: t.exp().sum(), x)
    assert x.grad is None and x.is_leaf


TORCH_CASES = [
    ("vjp", "single", None), ("vjp", "vector_out", "out"), ("vjp", "two_in_two_out", "out"),
    ("jvp", "single", "in"), ("jvp", "two_in_two_out", "in"),
    ("vhp", "single", "in"), ("vhp", "two_in_scalar", "in"), ("hvp", "single", "in"), ("hvp", "two_in_scalar", "in"),
]


def _v_for(kind, func, arrays, rng):
    import torch
    if kind is None:
        return None, None
    if kind == "in":
        shapes = [a.shape for a in arrays]
    else:
        out = func(*(torch.tensor(a) for a in arrays))
        shapes = [o.shape for o in (out if isinstance(out, tuple) else (out,))]
    vs = [rng.uniform(-1, 1, tuple(s)) for s in shapes]
    as_tuple = len(vs) > 1
    return _pack(vs, tg.tensor, as_tuple), _pack(vs, torch.tensor, as_tuple)


@pytest.mark.parametrize("api,name,v_kind", TORCH_CASES)
def test_products_match_pytorch(api, name, v_kind):
    torch = pytest.importorskip("torch")
    func, shapes = FUNCTIONS[name]
    arrays = _inputs(shapes, seed=1)
    ours_v, torch_v = _v_for(v_kind, func, arrays, np.random.default_rng(2))
    if v_kind is None and api == "vjp":
        ours_v = torch_v = None
    ours = getattr(AF, api)(func, _pack(arrays, tg.tensor, False), ours_v)
    theirs = getattr(torch.autograd.functional, api)(func, _pack(arrays, torch.tensor, False), torch_v)
    assert _structure(ours) == _structure(theirs)
    for a, b in zip(_arrays(ours), _arrays(theirs)):
        np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("as_tuple", [False, True])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jacobian_and_hessian_structures_match_pytorch(name, as_tuple):
    torch = pytest.importorskip("torch")
    func, shapes = FUNCTIONS[name]
    arrays = _inputs(shapes, seed=3)
    ours = AF.jacobian(func, _pack(arrays, tg.tensor, as_tuple), strategy="forward-mode")
    theirs = torch.autograd.functional.jacobian(func, _pack(arrays, torch.tensor, as_tuple))
    assert _structure(ours) == _structure(theirs)
    for a, b in zip(_arrays(ours), _arrays(theirs)):
        np.testing.assert_allclose(a, b, atol=1e-12)
    if name in SCALAR:
        ours = AF.hessian(func, _pack(arrays, tg.tensor, as_tuple))
        theirs = torch.autograd.functional.hessian(func, _pack(arrays, torch.tensor, as_tuple))
        assert _structure(ours) == _structure(theirs)
        for a, b in zip(_arrays(ours), _arrays(theirs)):
            np.testing.assert_allclose(a, b, atol=1e-12)


def _error(call):
    with pytest.raises((RuntimeError, TypeError, ValueError)) as info:
        call()
    return type(info.value), str(info.value)


def _constant(x, y):
    return x * 2.0, y.detach() * 1.0


ERROR_CASES = {
    "strict_vjp_unused_input": lambda lib, T: lib.vjp(lambda x, y: (x * x).sum(), (T([1.0, 2.0]), T([3.0])),
                                                      strict=True),
    "strict_vjp_output_without_grad": lambda lib, T: lib.vjp(lambda x: T([1.0]), T([1.0]), T([1.0]), strict=True),
    "strict_jvp_unused_input": lambda lib, T: lib.jvp(lambda x, y: x * 3.0, (T([1.0]), T([2.0])),
                                                      (T([1.0]), T([1.0])), strict=True),
    "strict_jacobian_independent": lambda lib, T: lib.jacobian(_constant, (T([1.0]), T([2.0])), strict=True),
    "strict_hessian_linear": lambda lib, T: lib.hessian(lambda x: (x * 2.0).sum(), T([1.0, 2.0]), strict=True),
    "strict_hvp_linear": lambda lib, T: lib.hvp(lambda x: (x * 2.0).sum(), T([1.0, 2.0]), T([1.0, 1.0]), strict=True),
    "strict_vhp_linear": lambda lib, T: lib.vhp(lambda x: (x * 2.0).sum(), T([1.0, 2.0]), T([1.0, 1.0]), strict=True),
    "v_needed": lambda lib, T: lib.vjp(lambda x: x * 2.0, T([1.0, 2.0])),
    "jvp_v_needed": lambda lib, T: lib.jvp(lambda x: x * 2.0, T([1.0, 2.0])),
    "v_wrong_size": lambda lib, T: lib.vjp(lambda x: x * 2.0, T([1.0, 2.0]), T([1.0, 2.0, 3.0])),
    "v_tuple_wrong_length": lambda lib, T: lib.jvp(lambda x, y: x * y, (T([1.0]), T([2.0])), (T([1.0]),)),
    "v_single_for_tuple": lambda lib, T: lib.vjp(lambda x: (x, x), T([1.0]), T([1.0])),
    "input_not_tensor": lambda lib, T: lib.jacobian(lambda x: x, [1.0, 2.0]),
    "tuple_input_not_tensor": lambda lib, T: lib.vjp(lambda x, y: x, (T([1.0]), 2.0), T([1.0])),
    "output_not_tensor": lambda lib, T: lib.vjp(lambda x: [x], T([1.0]), T([1.0])),
    "hessian_tuple_output": lambda lib, T: lib.hessian(lambda x: (x.sum(), x.sum()), T([1.0])),
    "hessian_vector_output": lambda lib, T: lib.hessian(lambda x: x * x, T([1.0, 2.0])),
    "hvp_vector_output": lambda lib, T: lib.hvp(lambda x: x * x, T([1.0, 2.0]), T([1.0, 2.0])),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_match_pytorch(case):
    torch = pytest.importorskip("torch")
    ours_type, ours_message = _error(lambda: ERROR_CASES[case](AF, lambda v: tg.tensor(v, dtype=np.float64)))
    theirs_type, theirs_message = _error(
        lambda: ERROR_CASES[case](torch.autograd.functional, lambda v: torch.tensor(v, dtype=torch.float64)))
    assert ours_type is theirs_type
    # Sizes print as (3,) here and torch.Size([3]) there, type names as float and <class 'float'>.
    normalise = [("torch.Size([", "("), ("])", ",)"), ("<class '", ""), ("'>", "")]
    for old, new in normalise:
        theirs_message = theirs_message.replace(old, new)
    assert ours_message == theirs_message


def test_strategy_must_be_known():
    with pytest.raises(ValueError, match="forward-mode"):
        AF.jacobian(single, tg.tensor([1.0]), strategy="sideways")


def test_forward_mode_strict_names_the_independent_pair():
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        AF.jacobian(_constant, (tg.tensor([1.0]), tg.tensor([2.0])), strict=True, strategy="forward-mode")


def test_reachable_as_tg_autograd_functional():
    assert tg.autograd.functional.jacobian is AF.jacobian
    assert tg.autograd.forward_ad.make_dual is not None
