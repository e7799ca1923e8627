"""Helpers for the tutorial tests: run one tutorial program on tinygrad_edu and on PyTorch with the
same random numbers, and compare what the two runs print.

`SameDraws(torch)` stands in for `tinygrad_edu` in a tutorial program: every name is tinygrad_edu's,
except that random factories (`randn`, `rand`, `rand_like`, `randn_like`) and `nn.Linear`'s
initial weights are drawn from PyTorch's generator. Seeding PyTorch the same way before each run
makes both programs start from identical numbers, so their printed output can be compared.
"""
from __future__ import annotations

import contextlib
import io
import random
import re
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu

NUMBER = re.compile(r"-?\d+\.?\d*(?:[eE][-+]?\d+)?")
# Node names and object reprs differ by design (grad_fn=<AddBackward0> vs <AddBackward>, addresses)
ANGLE_BRACKETS = re.compile(r"<[^<>]*>")


def printed_numbers(text: str) -> np.ndarray:
    """Every number in printed text, in order (tensor reprs, f-strings and plain prints alike)."""
    return np.array([float(n) for n in NUMBER.findall(ANGLE_BRACKETS.sub("", text))])


def run_printing(program: Callable[..., Any], *args: Any, seed: int = 0, torch: Any = None) -> tuple[str, Any]:
    """(what `program(*args)` printed, what it returned), with Python's and PyTorch's generators seeded."""
    random.seed(seed)
    tinygrad_edu.manual_seed(seed)
    threads = None
    if torch is not None:
        torch.manual_seed(seed)
        # one thread: these programs are small, and PyTorch's thread pool thrashes a shared CPU
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            result = program(*args)
    finally:
        if threads is not None:
            torch.set_num_threads(threads)
    return out.getvalue(), result


def _torch_dtype(torch: Any, dtype: Any) -> Any:
    return None if dtype is None else getattr(torch, np.dtype(dtype).name)


class _SameDrawsNN:
    """tinygrad_edu.nn, with Linear initialised from a PyTorch Linear built at the same point."""

    def __init__(self, torch: Any) -> None:
        self._torch = torch

    def __getattr__(self, name: str) -> Any:
        return getattr(tinygrad_edu.nn, name)

    def Linear(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
               dtype: Any = None) -> tinygrad_edu.nn.Linear:
        reference = self._torch.nn.Linear(in_features, out_features, bias, dtype=_torch_dtype(self._torch, dtype))
        layer = tinygrad_edu.nn.Linear(in_features, out_features, bias, device=device, dtype=dtype)
        layer.weight.data[...] = reference.weight.detach().numpy()
        if bias:
            layer.bias.data[...] = reference.bias.detach().numpy()
        return layer


class SameDraws:
    """tinygrad_edu for a tutorial program, drawing its random numbers from PyTorch's generator."""

    def __init__(self, torch: Any) -> None:
        self._torch = torch
        self.nn = _SameDrawsNN(torch)

    def __getattr__(self, name: str) -> Any:
        return getattr(tinygrad_edu, name)

    def _convert(self, values: Any, dtype: Any, requires_grad: bool) -> tinygrad_edu.Tensor:
        return tinygrad_edu.tensor(values.numpy(), requires_grad=requires_grad)

    def randn(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False):
        tinygrad_edu.device(device or "cpu")
        return self._convert(self._torch.randn(*size, dtype=_torch_dtype(self._torch, dtype)), dtype, requires_grad)

    def rand(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False):
        tinygrad_edu.device(device or "cpu")
        return self._convert(self._torch.rand(*size, dtype=_torch_dtype(self._torch, dtype)), dtype, requires_grad)

    def rand_like(self, input: Any, dtype: Any = None, **kwargs: Any):
        return self.rand(input.shape, dtype=input.dtype if dtype is None else dtype, **kwargs)

    def randn_like(self, input: Any, dtype: Any = None, **kwargs: Any):
        return self.randn(input.shape, dtype=input.dtype if dtype is None else dtype, **kwargs)


def assert_same_printed_numbers(ours: str, theirs: str, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    """Both runs printed the same numbers (to float32 accuracy), in the same order."""
    mine, reference = printed_numbers(ours), printed_numbers(theirs)
    assert mine.shape == reference.shape, f"printed different things:\n--- ours\n{ours}\n--- PyTorch\n{theirs}"
    np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol,
                               err_msg=f"\n--- ours\n{ours}\n--- PyTorch\n{theirs}")
