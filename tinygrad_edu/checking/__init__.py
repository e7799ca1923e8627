"""tinygrad_edu.checking: the gradient checker, a report that says where and why, and its helpers.

Layer L4 (imports tensor, autograd; never nn: check_module duck-types `named_parameters()`).
numerical.py (central differences, float64 copies), jacobian.py (both sides of U^T J V),
causes.py (the classic mistakes, recognised), report.py (result data and text), check.py
(gradcheck, gradgradcheck), sweep.py (error against step), module_check.py (every parameter
of a model). The public names are re-exported by `tinygrad_edu` and `tinygrad_edu.gradcheck`.
See docs/gradcheck.md.
"""
from .check import check_gradients, gradcheck, gradgradcheck
from .module_check import ModuleCheckResult, check_module
from .numerical import numerical_gradient
from .report import CAUSE_KINDS, Cause, Entry, GradcheckError, GradcheckResult, PairResult
from .sweep import EpsSweep, eps_sweep

__all__ = ["CAUSE_KINDS", "Cause", "Entry", "EpsSweep", "GradcheckError", "GradcheckResult", "ModuleCheckResult",
           "PairResult", "check_gradients", "check_module", "eps_sweep", "gradcheck", "gradgradcheck",
           "numerical_gradient"]
