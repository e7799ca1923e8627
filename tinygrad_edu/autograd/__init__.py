"""tinygrad_edu.autograd: the graph recorder and the backward engine (PyTorch's autograd names).

`Function` for custom ops, `backward` and `grad` to differentiate, `forward_ad` for forward
mode, `detect_anomaly` to find the op behind a NaN gradient, `GradientShapeError` /
`SavedVersionError` for what backward refuses. Layer L1. `autograd.functional` (jacobian,
hessian, ...) builds tensors, so it sits in row L4 and this file does not import it; the package
root does, so `tg.autograd.functional` works.
"""
from . import forward_ad
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import GradientShapeError, backward, grad, topological_sort
from .function import Context, Function, SavedVersionError
from .hooks import RemovableHandle

__all__ = ["Context", "Function", "GradientShapeError", "RemovableHandle", "SavedVersionError", "backward",
           "detect_anomaly", "forward_ad", "grad", "is_anomaly_enabled", "set_detect_anomaly", "topological_sort"]
