"""The historic import path `tinygrad_edu.gradcheck`: re-exports the checker from `checking/`.

Layer L4. The code lives in tinygrad_edu/checking/ (a package cannot share the function's name).
`tinygrad_edu/__init__.py` imports this module before it binds the name `gradcheck`, so
`tg.gradcheck` is the function while `from tinygrad_edu.gradcheck import gradcheck` keeps
working. See docs/gradcheck.md.
"""
from .checking import GradcheckError, check_module, gradcheck, gradgradcheck, numerical_gradient

__all__ = ["GradcheckError", "check_module", "gradcheck", "gradgradcheck", "numerical_gradient"]
