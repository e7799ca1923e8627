"""tinygrad_edu.utils: PyTorch's `torch.utils` import path; `utils.data` is the data package.

Layer L6 (re-exports only). See docs/pytorch.md.
"""
from . import data

__all__ = ["data"]
