"""Tensor hooks, Module hooks and anomaly mode, with PyTorch (optional) as the oracle.

Each scenario runs the same program on tinygrad_edu and on torch and compares what the hooks
saw, in which order, and the resulting gradients.
"""
import numpy as np
import pytest

import tinygrad_edu as tg


def _as_list(value):
    return None if value is None else np.round(np.asarray(value.tolist(), dtype=np.float64), 6).tolist()


def _tensor_hook_program(lib):
    log = []
    x = lib.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    x.register_hook(lambda g: log.append(("x", _as_list(g))))
    x.register_hook(lambda g: g * 10)                            # a leaf hook replaces the gradient
    h = x * x
    h.register_hook(lambda g: log.append(("h first", _as_list(g))))
    handle = h.register_hook(lambda g: g + 1)                     # non-leaf: replaces what flows on
    h.retain_grad()                                               # .grad keeps the hooked value
    removed = h.register_hook(lambda g: log.append("removed hook ran"))
    removed.remove()
    y = (h * lib.tensor(np.array([1.0, 2.0, 3.0]))).sum()
    y.backward(retain_graph=True)
    log.append(("x.grad", _as_list(x.grad)))
    log.append(("h.grad", _as_list(h.grad)))
    handle.remove()
    (g,) = lib.autograd.grad(y, x)                                # hooks also run for autograd.grad
    log.append(("grad()", _as_list(g)))
    return log


def test_tensor_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    assert _tensor_hook_program(tg) == _tensor_hook_program(torch)


def test_tensor_hook_checks():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.tensor([1.0]).register_hook(lambda g: g)
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="changed the size"):
        (x * 2.0).sum().backward()


def _module_hook_program(lib, nn):
    log = []
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3) / 10))
        model[0].bias.copy_(lib.tensor([0.1, -0.2]))
    lin = model[0]
    lin.register_forward_pre_hook(lambda m, args: log.append(("pre", tuple(args[0].shape))))
    lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))      # replaces the input
    lin.register_forward_pre_hook(lambda m, args: log.append("prepended"), prepend=True)
    lin.register_forward_hook(lambda m, args, out: log.append(("forward", _as_list(args[0]), _as_list(out))))
    model[1].register_forward_hook(lambda m, args, out: out * 3)       # replaces the output

    def backward_hook(module, grad_input, grad_output):
        log.append((type(module).__name__, [_as_list(g) for g in grad_input], [_as_list(g) for g in grad_output]))
        return None if grad_input[0] is None else (grad_input[0] * 0.5,)

    lin.register_full_backward_hook(backward_hook)
    handle = model[1].register_full_backward_hook(
        lambda m, gi, go: log.append(("Tanh", [_as_list(g) for g in gi], [_as_list(g) for g in go])))
    x = lib.tensor(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]], dtype=np.float32), requires_grad=True)
    (model(x) ** 2).sum().backward()
    log.append(("x.grad", _as_list(x.grad)))
    log.append(("weight.grad", _as_list(lin.weight.grad)))
    handle.remove()
    constant = lib.tensor(np.ones((1, 3), dtype=np.float32))           # inputs without grad: grad_input (None,)
    model(constant).sum().backward()
    return log


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch notes that a hook fires without input gradients
def test_module_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _module_hook_program(tg, tg.nn), _module_hook_program(torch, torch.nn)
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        close = np.allclose(_flatten(mine), _flatten(reference), rtol=1e-5, atol=1e-5, equal_nan=True)
        assert repr(mine) == repr(reference) or close, (mine, reference)


def _flatten(entry):
    if isinstance(entry, str):
        return [0.0]
    flat = []
    for part in entry if isinstance(entry, tuple | list) else [entry]:
        if isinstance(part, tuple | list):
            flat.extend(_flatten(part))
        elif isinstance(part, int | float):
            flat.append(float(part))
        elif part is None:
            flat.append(float("nan"))
    return flat


def test_module_without_hooks_is_called_directly_and_handles_remove():
    lin = tg.nn.Linear(2, 2)
    calls = []
    handle = lin.register_forward_hook(lambda m, a, o: calls.append(1))
    lin(tg.ones(1, 2))
    handle.remove()
    handle.remove()  # twice is harmless
    lin(tg.ones(1, 2))
    assert calls == [1] and lin._forward_hooks == []
    with pytest.raises(TypeError, match="callable"):
        lin.register_forward_hook("not a function")


def _nan_program():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt()  # d sqrt/dx at 0 is inf; times 0 below gives nan
    return (y * tg.tensor([0.0, 1.0])).sum()


def test_anomaly_mode_names_the_backward_and_shows_the_forward_line():
    with tg.autograd.detect_anomaly():
        loss = _nan_program()
        with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward' returned nan values in its 0th output\.") \
                as caught, np.errstate(all="ignore"):
            loss.backward()
    assert "_nan_program" in str(caught.value) and "x.sqrt()" in str(caught.value)
    assert not tg.autograd.is_anomaly_enabled()
    with np.errstate(all="ignore"):
        _nan_program().backward()  # off: no check, the nan goes into .grad as in PyTorch


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch warns that anomaly mode is slow
def test_set_detect_anomaly_and_pytorchs_wording():
    torch = pytest.importorskip("torch")
    tg.autograd.set_detect_anomaly(True)
    try:
        with pytest.raises(RuntimeError) as ours, np.errstate(all="ignore"):
            _nan_program().backward()
    finally:
        tg.autograd.set_detect_anomaly(False)
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError) as theirs:
        (x.sqrt() * torch.tensor([0.0, 1.0])).sum().backward()
    assert str(theirs.value).replace("SqrtBackward0", "SqrtBackward") == str(ours.value).splitlines()[0]
