"""Grad mode is per thread, as PyTorch's: no_grad, enable_grad, set_grad_enabled, inference_mode.

The thread test trains two independent models in two threads (with no_grad evaluation between
steps and a switch interval small enough that the threads interleave inside every step) and
requires every gradient to equal the single-threaded run bit for bit.
"""
import sys
import threading

import numpy as np
import pytest

import tinygrad_edu as tg


def _train(seed: int, steps: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    x, t = tg.tensor(rng.standard_normal((8, 4))), tg.tensor(rng.standard_normal((8, 1)))
    w = tg.tensor(rng.standard_normal((4, 1)) * 0.5, requires_grad=True)
    b = tg.tensor(np.zeros(1), requires_grad=True)
    grads = []
    for _ in range(steps):
        loss = (((x @ w + b).tanh() - t) ** 2).mean()
        loss.backward()
        grads.append(np.concatenate([w.grad.data.ravel(), b.grad.data]))
        with tg.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
            evaluation = ((x @ w + b).tanh() - t).abs().mean()  # evaluation between steps
            assert evaluation.grad_fn is None
        w.grad = b.grad = None
    return grads


def test_two_threads_train_independent_models_with_the_single_threaded_gradients():
    steps = 300
    expected = {seed: _train(seed, steps) for seed in (1, 2)}
    results: dict[int, list[np.ndarray]] = {}
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            results[seed] = _train(seed, steps)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: inside no_grad and backward
    try:
        threads = [threading.Thread(target=worker, args=(seed,)) for seed in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors
    for seed in (1, 2):
        assert len(results[seed]) == steps
        for got, want in zip(results[seed], expected[seed]):
            np.testing.assert_array_equal(got, want)


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    entered, release = threading.Event(), threading.Event()
    seen = []

    def evaluator() -> None:
        with tg.no_grad():
            entered.set()
            release.wait(10)
            seen.append(tg.is_grad_enabled())

    thread = threading.Thread(target=evaluator)
    thread.start()
    entered.wait(10)
    x = tg.tensor([1.0], requires_grad=True)
    recorded = (x * 2.0).grad_fn is not None
    release.set()
    thread.join()
    assert recorded and tg.is_grad_enabled() and seen == [False]


def test_a_new_thread_starts_with_grad_mode_on():
    seen = []
    with tg.no_grad():
        thread = threading.Thread(target=lambda: seen.append(tg.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def test_set_grad_enabled_as_a_plain_call_takes_effect_at_once():
    x = tg.tensor([1.0], requires_grad=True)
    try:
        tg.set_grad_enabled(False)
        assert not tg.is_grad_enabled() and (x * 2.0).grad_fn is None
        tg.set_grad_enabled(True)
        assert (x * 2.0).grad_fn is not None
    finally:
        tg.set_grad_enabled(True)
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_modes_as_decorators_and_nested_blocks():
    @tg.no_grad()
    def evaluate(t):
        return t * 2.0

    @tg.set_grad_enabled(False)
    def also_evaluate(t):
        return t * 3.0

    assert tg.is_grad_enabled()  # decorating switched nothing
    x = tg.tensor([1.0], requires_grad=True)
    assert evaluate(x).grad_fn is None and also_evaluate(x).grad_fn is None
    with tg.no_grad():
        with tg.enable_grad():
            assert (x * 1.0).grad_fn is not None
        assert (x * 1.0).grad_fn is None


def test_inference_mode():
    x = tg.tensor([1.0], requires_grad=True)
    with tg.inference_mode():
        assert (x * 2.0).grad_fn is None
        with tg.inference_mode(False):
            assert (x * 2.0).grad_fn is not None
    assert tg.is_grad_enabled()


def test_backward_in_a_thread_leaves_the_other_threads_mode_alone():
    torch = pytest.importorskip("torch")  # the same contract as PyTorch's thread-local grad mode
    seen = []

    def run(lib) -> None:
        with lib.no_grad():
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            with lib.enable_grad():
                (x * x).sum().backward()
            seen.append((lib.is_grad_enabled(), x.grad.tolist()))

    for lib in (tg, torch):
        thread = threading.Thread(target=run, args=(lib,))
        thread.start()
        thread.join()
        assert lib.is_grad_enabled()
    assert seen[0] == seen[1] == (False, [2.0, 4.0])
