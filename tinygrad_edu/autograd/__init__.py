"""tinygrad_edu.autograd: the graph recorder and the backward engine (PyTorch's autograd names).

`Function` for custom ops, `backward` and `grad` to differentiate. Layer L1.
"""
from .engine import backward, grad, topological_sort
from .function import Context, Function

__all__ = ["Context", "Function", "backward", "grad", "topological_sort"]
