"""The primitive differentiable operations; `_tensor.py` calls them, users rarely need to.

Layer L2: each module imports only `autograd.function`. Every op is a `Function` subclass with
forward (NumPy arrays in, one array out) and backward (Tensors in, one gradient per forward
argument out) side by side, and a one-line docstring stating its derivative; `jvp` (tangents in,
the output's tangent out) is its forward-mode rule (docs/forward_and_reverse.md).
"""
