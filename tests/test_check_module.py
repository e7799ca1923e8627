"""check_module: a per-parameter table for anything with named_parameters(), model left as it came.

A hand-made module-like object (duck typing: gradcheck sits below nn) carries a planted bug;
nn.Sequential models must pass, keep their float32 arrays and BatchNorm running statistics,
and Dropout in training mode must be reported as non-determinism.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.functional as F
import tinygrad_edu.nn as nn
from planted_bugs import AddBiasMean
from tinygrad_edu.checking import ModuleCheckResult
from tinygrad_edu.gradcheck import GradcheckError, check_module


class AffineLike:
    """Not an nn.Module: just named_parameters() and __call__, y = x @ w + b."""

    def __init__(self, buggy_bias: bool):
        rng = np.random.default_rng(0)
        self.w = tg.tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
        self.b = tg.tensor(rng.standard_normal(2).astype(np.float32), requires_grad=True)
        self.buggy_bias = buggy_bias

    def named_parameters(self):
        return [("w", self.w), ("b", self.b)]

    def __call__(self, x):
        product = x @ self.w
        return AddBiasMean.apply(product, self.b) if self.buggy_bias else product + self.b


def test_duck_typed_model_with_a_planted_bug_names_parameter_and_cause():
    model = AffineLike(buggy_bias=True)
    x = tg.tensor(np.random.default_rng(1).standard_normal((4, 3)))
    with pytest.raises(GradcheckError) as info:
        check_module(model, x)
    result = info.value.result
    assert isinstance(result, ModuleCheckResult) and not result.passed
    rows = {row.name: row for row in result.rows}
    assert rows["w"].failed == 0 and rows["b"].failed == 2
    assert [cause.kind for cause in rows["b"].causes] == ["constant_factor"]
    assert "b: likely cause (constant_factor): analytic = 0.25 x numerical" in str(info.value)
    assert check_module(AffineLike(buggy_bias=False), x)


def test_table_matches_the_books_gradient_check_columns():
    result = check_module(AffineLike(buggy_bias=False), tg.tensor(np.ones((2, 3))))
    lines = result.table().splitlines()
    assert lines[0].split() == ["parameter", "shape", "checked", "max", "abs", "diff", "mean", "abs", "diff", "max",
                                "rel", "error", "result"]
    assert [line.split()[0] for line in lines[1:]] == ["w", "b"]
    assert all(line.split()[-1] == "ok" for line in lines[1:])
    assert all(row.mean_abs_diff < 1e-8 and row.checked == np.prod(row.shape) for row in result.rows)


def test_sequential_with_cross_entropy_passes_and_is_left_untouched():
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    arrays = [p.data for p in model.parameters()]
    copies = [a.copy() for a in arrays]
    x = tg.randn(6, 4)
    labels = tg.tensor([0, 1, 2, 0, 1, 2])
    result = check_module(model, [x], loss_fn=lambda out: F.cross_entropy(out, labels))
    assert [row.name for row in result.rows] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert result.passed
    for p, array, copy in zip(model.parameters(), arrays, copies):
        assert p.data is array and p.dtype == np.float32 and p.grad is None
        np.testing.assert_array_equal(p.data, copy)


def test_max_elements_samples_each_parameter():
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2))
    result = check_module(model, [tg.randn(3, 6)], max_elements=4)
    assert [row.checked for row in result.rows] == [4, 4, 4, 2]
    with pytest.raises(ValueError, match="max_elements"):
        check_module(model, [tg.randn(3, 6)], max_elements=0)


def test_batchnorm_running_statistics_are_restored():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh())
    buffers = {name: b.data.copy() for name, b in model.named_buffers()}
    assert check_module(model, [tg.randn(5, 3)])
    for name, b in model.named_buffers():
        np.testing.assert_array_equal(b.data, buffers[name])


def test_dropout_in_training_mode_is_reported_as_nondeterministic():
    model = nn.Sequential(nn.Linear(4, 5), nn.Dropout(0.5), nn.Linear(5, 2))
    result = check_module(model, [tg.randn(3, 4)], raise_exception=False)
    assert [cause.kind for cause in result.causes] == ["nondeterministic"]
    assert "model.eval()" in result.report()
    model.eval()
    assert check_module(model, [tg.randn(3, 4)])


def test_refuses_objects_without_parameters():
    with pytest.raises(TypeError, match="named_parameters"):
        check_module(lambda x: x, [tg.randn(2)])


def test_a_modules_forward_is_a_callable_gradcheck_accepts():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = tg.tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True)
    assert tg.gradcheck(model, [x])
    assert tg.gradcheck(model, [x], fast_mode=True)
