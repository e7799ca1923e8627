"""Every public name has a docstring, so `help()` and the API reference (mkdocs) say what it does.

Public names: every name in a public module's `__all__` (or, without one, the functions and
classes it defines without a leading underscore), walked from `tinygrad_edu` through its public
submodules, and every public method and property of each public class, inherited ones included
when they are defined in tinygrad_edu. The failure lists each name without a docstring.
"""
import inspect
import types

import tinygrad_edu


def _module_public_names(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name, value in vars(module).items() if not name.startswith("_")
                 and (inspect.isfunction(value) or inspect.isclass(value))
                 and getattr(value, "__module__", "") == module.__name__]
    return sorted(names)


def _class_members(cls: type) -> list[tuple[str, object]]:
    """(qualified name, raw attribute) of the public methods and properties tinygrad_edu defines."""
    members = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        if owner is None or not owner.__module__.startswith("tinygrad_edu"):
            continue
        raw = vars(owner)[name]
        if isinstance(raw, types.FunctionType | property | staticmethod | classmethod):
            members.append((f"{owner.__module__}.{owner.__qualname__}.{name}", raw))
    return members


def public_api() -> dict[str, object]:
    """Qualified name -> object, for every public module, function, class, method and property."""
    found: dict[str, object] = {}
    modules, stack = set(), [tinygrad_edu]
    while stack:
        module = stack.pop()
        if module.__name__ in modules:
            continue
        modules.add(module.__name__)
        found[module.__name__] = module
        for name in _module_public_names(module):
            value = getattr(module, name)
            if isinstance(value, types.ModuleType):
                if value.__name__.startswith("tinygrad_edu"):
                    stack.append(value)
            elif inspect.isclass(value) or inspect.isfunction(value):
                qualified = f"{value.__module__}.{value.__qualname__}"
                found.setdefault(qualified, value)
                if inspect.isclass(value):
                    found.update(_class_members(value))
    return found


def docstring_of(value: object) -> str:
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, property):
        return value.__doc__ or ""
    return getattr(value, "__doc__", None) or ""


def test_every_public_name_has_a_docstring():
    api = public_api()
    assert len(api) > 250, f"the walk found only {len(api)} public names"
    missing = sorted(name for name, value in api.items() if not docstring_of(value).strip())
    assert not missing, f"{len(missing)} of {len(api)} public names have no docstring:\n" + "\n".join(missing)


def test_the_walk_sees_methods_properties_and_submodules():
    api = public_api()
    for name in ("tinygrad_edu._tensor.Tensor.sum", "tinygrad_edu._tensor.Tensor.shape", "tinygrad_edu.nn",
                 "tinygrad_edu.nn.module.Module.parameters", "tinygrad_edu.optim.adam.Adam",
                 "tinygrad_edu.data.mnist.load_mnist", "tinygrad_edu._threads.set_num_threads"):
        assert name in api, name
    assert not any(part.startswith("_") and not part.startswith("__") and part not in ("_threads", "_dtypes",
                                                                                       "_grad_mode", "_tensor")
                   for name in api for part in name.split(".")[1:]), "a private name was counted"


def test_docstring_examples_run():
    """The `>>>` examples in public docstrings print what they show (doctest)."""
    import doctest

    import numpy as np

    import tinygrad_edu.functional as F
    import tinygrad_edu.nn as nn
    import tinygrad_edu.optim as optim
    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    examples = 0
    for name, value in sorted(public_api().items()):
        if ">>>" not in docstring_of(value):
            continue
        function = value.__func__ if isinstance(value, staticmethod | classmethod) else value
        function = function.fget if isinstance(function, property) else function
        for test in finder.find(function, name, globs={"tg": tinygrad_edu, "nn": nn, "F": F, "np": np,
                                                        "optim": optim}):
            examples += len(test.examples)
            runner.run(test)
    assert examples >= 10, f"only {examples} docstring examples found"
    assert runner.failures == 0, f"{runner.failures} docstring examples failed (see the output above)"
