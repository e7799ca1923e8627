"""The failure report's text and data, the step-size diagnosis and the eps sweep.

The report must name output and input, count failing entries, tabulate the worst ones with
both values and both errors, and give the cause; the sweep must show truncation error
falling and round-off rising around a smallest error near 1e-5 (float64), and a floor when
the backward is wrong.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
from planted_bugs import (AddBiasNoSum, Conv2dBackwardAsConvolutions, Conv2dUnflippedKernel, SquareForgetsTwo,
                          TransposeOnlyReshapes)
from tinygrad_edu.autograd import Function
from tinygrad_edu.checking import CAUSE_KINDS, Entry, check_gradients, eps_sweep
from tinygrad_edu.gradcheck import GradcheckError, gradcheck


def _tensor(shape, seed):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


class ExpInFloat32(Function):
    """exp computed in float32 whatever the input: finite differences at eps=1e-6 drown in round-off."""

    @staticmethod
    def forward(ctx, x):
        return np.exp(x.astype(np.float32))

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.inputs[0].exp()


def test_report_layout_for_a_transpose_bug():
    with pytest.raises(GradcheckError) as info:
        gradcheck(TransposeOnlyReshapes.apply, [_tensor((3, 4), 1)])
    text = str(info.value)
    lines = text.splitlines()
    assert lines[0] == "gradcheck FAILED: first order, full Jacobian; eps=1e-06, atol=1e-05, rtol=0.001"
    assert "output 0 (4, 3) w.r.t. input 0 (3, 4): 20 of 144 Jacobian entries differ" in lines
    assert "transposing axes (1, 0) of shape (3, 4)" in text
    header = next(line for line in lines if "analytic" in line and "numerical" in line and "rel error" in line)
    assert header.split() == ["(output", "idx,", "input", "idx)", "analytic", "numerical", "abs", "error", "rel",
                              "error"]
    rows = lines[lines.index(header) + 1:lines.index(header) + 6]
    # y[a, b] = x[b, a]: every worst row pairs output (a, b) with input (b, a), analytic 0 vs numerical 1
    for row in rows:
        output_index, input_index = row.split(")")[0] + ")", row.split(")")[1].lstrip(", ") + ")"
        assert tuple(reversed(eval(output_index))) == eval(input_index)
        assert row.split()[-4:] == ["0", "1", "1", "1"]


def test_report_names_a_convolution_kernel_left_unflipped_in_backward():
    inputs = [_tensor((1, 2, 4, 3), 1), _tensor((2, 2, 2, 2), 2)]
    assert gradcheck(Conv2dBackwardAsConvolutions.apply, inputs)  # the correct twin
    result = check_gradients(Conv2dUnflippedKernel.apply, inputs)
    assert [pair.input for pair in result.failures] == [0]  # dW is right, dx is not
    assert result.cause_kinds == ["flipped"]
    assert "the spatial axes of the output and input reversed" in result.report()
    assert "kernel flipped" in result.report()


def test_report_names_shapes_for_a_missing_broadcast_sum():
    result = check_gradients(AddBiasNoSum.apply, [_tensor((4, 3), 1), _tensor((3,), 2)])
    assert result.cause_kinds == ["missing_broadcast_sum"]
    assert "AddBiasNoSum.backward returned a gradient of shape (4, 3) for its input 1 of shape (3,)" in result.report()
    assert "sum over the broadcast axes" in result.report()


def test_wrong_number_of_gradients_is_a_backward_error():
    class TwoGrads(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 2, grad_out

    result = check_gradients(TwoGrads.apply, [_tensor((3,), 1)])
    assert result.cause_kinds == ["backward_error"]
    assert "returned 2 gradients for 1 forward arguments" in result.report()


def test_step_too_large_and_too_small():
    too_large = check_gradients(lambda x: x.exp(), [_tensor((3,), 1)], eps=0.2)
    assert too_large.cause_kinds == ["step_size"]
    assert "eps=0.2 is too large" in too_large.report()
    too_small = check_gradients(ExpInFloat32.apply, [_tensor((3, 4), 1)])
    assert too_small.cause_kinds == ["step_size"]
    assert "eps=1e-06 is too small" in too_small.report()
    assert "output 0 is float32 even with float64 inputs" in too_small.report()
    assert gradcheck(ExpInFloat32.apply, [_tensor((3, 4), 1)], eps=1e-3, rtol=1e-2, atol=1e-3)


def test_passing_report_is_short_and_says_passed():
    result = check_gradients(lambda x: x.sin(), [_tensor((3,), 1)])
    assert result
    assert result.report() == "gradcheck passed: first order, full Jacobian; eps=1e-06, atol=1e-05, rtol=0.001"


def test_fast_mode_report_names_projections():
    result = check_gradients(SquareForgetsTwo.apply, [_tensor((30,), 1)], fast_mode=True)
    text = result.report()
    assert "fast mode: random projections" in text
    assert "of 4 projections u^T J v differ" in text
    assert "u0 . J v0" in text
    assert result.failures[0].worst[0].index.startswith("u")


def test_every_cause_kind_is_documented_in_the_reference_page():
    from pathlib import Path
    page = (Path(__file__).resolve().parent.parent / "docs" / "gradcheck.md").read_text()
    for kind in CAUSE_KINDS:
        assert f"`{kind}`" in page, kind


def test_entry_errors():
    entry = Entry("(0,)", 1.5, 2.0)
    assert entry.abs_error == 0.5 and entry.rel_error == 0.25
    assert Entry("(0,)", 1.0, 0.0).rel_error == float("inf")


def test_eps_sweep_shows_the_v_and_a_floor_for_a_wrong_backward():
    x = _tensor((3, 2), 1)
    sweep = eps_sweep(lambda x: x.exp(), [x])
    steps = [row[0] for row in sweep.rows]
    assert steps == pytest.approx([10.0 ** -n for n in range(1, 11)])
    errors = [row[1] for row in sweep.rows]
    assert 1e-8 <= sweep.best_eps <= 1e-3
    assert errors[0] > 100 * min(errors) and errors[-1] > 100 * min(errors)  # truncation, then round-off
    assert errors[0] / errors[1] == pytest.approx(100, rel=0.05)  # truncation error ~ eps^2
    wrong = eps_sweep(SquareForgetsTwo.apply, [x])
    assert min(row[1] for row in wrong.rows) > 0.1  # no step rescues a wrong derivative
    table = sweep.table().splitlines()
    assert len(table) == 12 and table[1].split() == ["eps", "abs", "error", "rel", "error"]
    assert "<- smallest" in sweep.table()


def test_eps_sweep_through_gradcheck_prints_and_attaches(capsys):
    assert gradcheck(lambda x: x.tanh(), [_tensor((3,), 1)], eps_sweep=True)
    assert "eps sweep" in capsys.readouterr().out
    result = check_gradients(SquareForgetsTwo.apply, [_tensor((3,), 1)], eps_sweep=True)
    assert result.sweep is not None and "eps sweep" in result.report()


def test_eps_sweep_plot(tmp_path):
    pytest.importorskip("matplotlib")
    sweep = eps_sweep(lambda x: x.sin(), [_tensor((3,), 1)])
    path = tmp_path / "sweep.png"
    figure = sweep.plot(str(path))
    assert path.stat().st_size > 1000
    assert len(figure.axes[0].lines) == 2
    import matplotlib.pyplot as plt
    plt.close(figure)


def test_gradient_of_an_unrelated_shape_is_a_wrong_shape():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out.sum(0)

    result = check_gradients(WrongShape.apply, [_tensor((3, 2), 1)])
    assert result.cause_kinds == ["wrong_shape"]
    assert "returned a gradient of shape (2,) for its input 0 of shape (3, 2)" in result.report()


@pytest.mark.parametrize("page", ["gradcheck.md", "tutorial_custom_op.md"])
def test_report_texts_shown_in_the_docs_are_what_the_code_prints(page, tmp_path, monkeypatch):
    import re
    from pathlib import Path

    from test_docs import python_blocks
    from tinygrad_edu.checking import EpsSweep, GradcheckResult, ModuleCheckResult

    monkeypatch.chdir(tmp_path)
    text = (Path(__file__).resolve().parent.parent / "docs" / page).read_text()
    namespace = {"__name__": "docs_check"}
    for _, _, code, runs in python_blocks(text):
        if runs:
            exec(code, namespace)
    printed = set()
    for value in namespace.values():
        if isinstance(value, GradcheckError | GradcheckResult | ModuleCheckResult):
            printed.add(str(value))
        elif isinstance(value, EpsSweep):
            printed.add(value.table())
        elif isinstance(value, str):
            printed.add(value)
    shown = [block for block in re.findall(r"```text\n(.*?)\n```", text, re.S)
             if block.startswith(("gradcheck ", "check_module ", "eps sweep"))]
    assert len(shown) >= 3
    for block in shown:
        assert any(_same_report(block, candidate) for candidate in printed), block


def _same_report(shown: str, printed: str) -> bool:
    """The report in the docs is the one printed, word for word and number for number, except that
    differences below 1e-6 (round-off of the central differences) may differ by a factor of 3:
    their last bits depend on the CPU's vectorised exp/log kernels, so they vary between machines.
    """
    shown_tokens, printed_tokens = shown.split(), printed.split()
    if len(shown_tokens) != len(printed_tokens):
        return False
    for a, b in zip(shown_tokens, printed_tokens):
        if a == b:
            continue
        try:
            x, y = float(a), float(b)
        except ValueError:
            return False
        if not (abs(x) < 1e-6 and 0 < abs(y) < 1e-6 and 1 / 3 <= x / y <= 3):
            return False
    return True


def test_points_outside_the_domain_are_named_non_finite():
    with np.errstate(all="ignore"):
        result = check_gradients(lambda t: t.log(), [tg.tensor([-1.0, 2.0], dtype=np.float64, requires_grad=True)])
    assert result.cause_kinds == ["non_finite"]
    assert "edge of the function's domain" in result.report()
