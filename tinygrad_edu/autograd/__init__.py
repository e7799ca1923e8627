"""tinygrad_edu.autograd: the graph recorder and the backward engine (PyTorch's autograd names).

`Function` for custom ops, `backward` and `grad` to differentiate, `forward_ad` for forward
mode. Layer L1. `autograd.functional` (jacobian, hessian, ...) builds tensors, so it sits in row L4
and this file does not import it; the package root does, so `tg.autograd.functional` works.
"""
from . import forward_ad
from .engine import backward, grad, topological_sort
from .function import Context, Function

__all__ = ["Context", "Function", "backward", "forward_ad", "grad", "topological_sort"]
