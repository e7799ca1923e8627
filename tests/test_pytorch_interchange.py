"""docs/pytorch_interchange.md: its recipe, run against PyTorch (optional: needs torch).

The page's blocks are marked no-run for tests/test_docs.py (which runs without torch); here they
run in order, and the converted states must continue training on the other side exactly where the
first side stopped.
"""
import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.optim as optim
from test_docs import python_blocks

torch = pytest.importorskip("torch")

PAGE = Path(__file__).resolve().parent.parent / "docs" / "pytorch_interchange.md"


@pytest.fixture(scope="module")
def recipe():
    namespace: dict = {"__name__": "docs_pytorch_interchange"}
    printed = io.StringIO()
    for _, line, code, _ in python_blocks(PAGE.read_text()):
        with contextlib.redirect_stdout(printed):
            exec(compile("\n" * (line - 1) + code, str(PAGE), "exec"), namespace)
    namespace["printed"] = printed.getvalue()
    return namespace


def test_the_page_prints_what_it_shows(recipe):
    assert recipe["printed"] in PAGE.read_text()


def _pair(seed=0):
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()
    tg.set_default_dtype(np.float64)  # conftest restores it
    ours = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
    return ours, theirs


def _train(model, opt, x, t, steps, framework):
    for _ in range(steps):
        opt.zero_grad()
        if framework == "torch":
            torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(t)).backward()
        else:
            tg.functional.cross_entropy(model(tg.tensor(x)), tg.tensor(t)).backward()
        opt.step()


def _assert_same_weights(ours, theirs):
    for (name, value), their in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(np.asarray(value), their.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


DATA = np.random.default_rng(0).standard_normal((12, 4)), np.array([0, 1, 2] * 4)


@pytest.mark.parametrize("name, options", [("Adam", dict(lr=1e-2, amsgrad=True)), ("AdamW", dict(lr=1e-2)),
                                           ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                           ("RMSprop", dict(lr=1e-2, momentum=0.5, centered=True)),
                                           ("Adagrad", dict(lr=0.1))])
def test_torch_to_ours_and_back_continues_the_same_trajectory(recipe, name, options):
    x, t = DATA
    ours, theirs = _pair()
    their_opt = getattr(torch.optim, name)(theirs.parameters(), **options)
    _train(theirs, their_opt, x, t, 3, "torch")
    ours.load_state_dict(recipe["model_state_from_torch"](theirs.state_dict()))
    our_opt = getattr(optim, name)(ours.parameters(), **options)
    our_opt.load_state_dict(recipe["optimizer_state_from_torch"](their_opt.state_dict()))
    _train(theirs, their_opt, x, t, 3, "torch")
    _train(ours, our_opt, x, t, 3, "ours")
    _assert_same_weights(ours, theirs)
    # and back into a fresh torch pair, which must again follow ours
    _, fresh = _pair(seed=1)
    fresh.load_state_dict(recipe["model_state_to_torch"](ours.state_dict()))
    fresh_opt = getattr(torch.optim, name)(fresh.parameters(), **options)
    fresh_opt.load_state_dict(recipe["optimizer_state_to_torch"](our_opt.state_dict()))
    _train(fresh, fresh_opt, x, t, 3, "torch")
    _train(ours, our_opt, x, t, 3, "ours")
    _assert_same_weights(ours, fresh)


def test_book_convention_adam_keeps_its_convention_and_is_not_handed_to_torch(recipe):
    x, t = DATA
    ours, theirs = _pair()
    their_opt = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    _train(theirs, their_opt, x, t, 2, "torch")
    book = optim.Adam(ours.parameters(), lr=1e-2, convention="book")
    book.load_state_dict(recipe["optimizer_state_from_torch"](their_opt.state_dict()))
    assert book.param_groups[0]["convention"] == "book" and book.state_dict()["state"][0]["step"] == 2
    with pytest.raises(ValueError, match="convention='book' has no PyTorch equivalent"):
        recipe["optimizer_state_to_torch"](book.state_dict())


def test_book_momentum_continues_as_torch_sgd(recipe):
    x, t = DATA
    ours, theirs = _pair()
    theirs.load_state_dict(recipe["model_state_to_torch"](ours.state_dict()))
    momentum = optim.Momentum(ours.parameters(), lr=0.1, momentum=0.9)
    _train(ours, momentum, x, t, 3, "ours")
    theirs.load_state_dict(recipe["model_state_to_torch"](ours.state_dict()))
    sgd = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    sgd.load_state_dict(recipe["momentum_state_to_torch_sgd"](momentum.state_dict()))
    _train(ours, momentum, x, t, 3, "ours")
    _train(theirs, sgd, x, t, 3, "torch")
    _assert_same_weights(ours, theirs)
