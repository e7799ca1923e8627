"""The one-way import order of the package, checked by parsing every module's imports with ast.

Layers (docs/architecture.md): a module may import only from its own layer or lower ones, never
upward, and no group of modules may import each other in a cycle. Imports under
`if TYPE_CHECKING:` are for type hints only and do not count. `tinygrad_edu/__init__.py` sits
above everything (it re-exports the public API). A new top-level module must be given a layer
here: the test fails until it is, so the order stays written down.
"""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tinygrad_edu"

LAYERS = {
    "_grad_mode": 0, "_dtypes": 0, "random": 0, "device": 0, "dtype_names": 0, "_threads": 0, "return_types": 0,
    "autograd": 1,
    "ops": 2,
    "_tensor": 3, "creation": 3,
    "functional": 4, "tensor_functions": 4, "spatial": 4, "gradcheck": 4, "checking": 4, "viz": 4, "trace": 4,
    "testing": 4,
    "forward_trace": 4,
    "nn": 5,
    "optim": 6, "data": 6, "utils": 6, "serialization": 6, "training": 6, "_files": 0,
}
# Submodules that sit above their package's layer: PyTorch's import path puts
# torch.autograd.functional inside autograd, but it builds tensors, so it is layer 4.
SUBMODULE_LAYERS = {"autograd.functional": 4, "autograd.functional_args": 4}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom node, skipping the bodies of `if TYPE_CHECKING:` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str) -> set[str]:
    """The tinygrad_edu modules that `module` imports (submodules resolved when named in a from-import)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        found.update(t for t in targets if t == "tinygrad_edu" or t.startswith("tinygrad_edu."))
    found.discard(module)
    return found


def layer_of(module: str) -> int | None:
    if module == "tinygrad_edu":
        return None  # the package root re-exports everything: it sits above all layers
    parts = module.split(".")
    return SUBMODULE_LAYERS.get(".".join(parts[1:3]), LAYERS.get(parts[1]))


def test_every_module_has_a_layer():
    unplaced = sorted({m.split(".")[1] for m in MODULES if m != "tinygrad_edu" and layer_of(m) is None})
    assert not unplaced, f"add these top-level modules to LAYERS in tests/test_imports.py: {unplaced}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "tinygrad_edu"))
def test_module_imports_only_from_its_layer_or_below(module):
    own = layer_of(module)
    if own is None:
        pytest.fail(f"{module} has no layer in LAYERS")
    upward = sorted(f"{target} (layer {layer_of(target)})" for target in imports_of(module)
                    if layer_of(target) is None or layer_of(target) > own)
    assert not upward, f"{module} (layer {own}) imports upward: {', '.join(upward)}"


def test_no_import_cycles():
    graph = {m: sorted(t for t in imports_of(m) if t in MODULES and t != "tinygrad_edu")
             for m in MODULES if m != "tinygrad_edu"}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in graph:
        if state.get(start):
            continue
        path, stack = [start], [iter(graph[start])]
        state[start] = 1
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            elif not state.get(target):
                state[target] = 1
                path.append(target)
                stack.append(iter(graph[target]))


def test_the_autograd_core_never_imports_tensor_and_ops_import_only_the_recorder():
    for module in MODULES:
        if module.startswith("tinygrad_edu.autograd") and layer_of(module) == 1:
            assert "tinygrad_edu._tensor" not in imports_of(module), module
        if module.startswith("tinygrad_edu.ops."):
            allowed = {"tinygrad_edu.autograd.function", "tinygrad_edu._grad_mode", "tinygrad_edu._dtypes"}
            # A primitive may reuse another primitive (MaxPool2d's backward is Conv's Fold), never tensor.py.
            allowed |= {m for m in MODULES if m.startswith("tinygrad_edu.ops.") and m != module}
            assert imports_of(module) <= allowed, f"{module} imports {sorted(imports_of(module) - allowed)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "tinygrad_edu"))
def test_module_docstring_states_the_enforced_layer(module):
    docstring = ast.get_docstring(ast.parse(MODULES[module].read_text()))
    assert docstring, f"{module} has no module docstring (what it owns, its layer, its docs page)"
    stated = re.findall(r"[Ll]ayer L(\d)", docstring)
    assert all(int(n) == layer_of(module) for n in stated), \
        f"{module}'s docstring says layer L{stated[0]}, the import order puts it in L{layer_of(module)}"


def test_optim_never_imports_nn():
    for module in MODULES:
        if module.startswith("tinygrad_edu.optim"):
            offending = sorted(t for t in imports_of(module) if t.startswith("tinygrad_edu.nn"))
            assert not offending, f"{module} imports {offending}"


def test_the_checker_sees_a_relative_import_going_upward():
    """The parser itself: a planted upward import in a throwaway tree must be found."""
    tree = ast.parse("from .._tensor import Tensor\nif TYPE_CHECKING:\n    from ..nn import Module\n")
    names = [(n.level, n.module) for n in _import_nodes(tree)]
    assert names == [(2, "_tensor")]


def test_importing_the_package_needs_neither_hypothesis_nor_testing():
    code = ("import sys; sys.modules['hypothesis'] = None; sys.modules['pytest'] = None\n"
            "import tinygrad_edu, tinygrad_edu.nn, tinygrad_edu.optim, tinygrad_edu.functional\n"
            "assert 'tinygrad_edu.testing' not in sys.modules\n"
            "try:\n    import tinygrad_edu.testing\nexcept ImportError:\n    print('testing needs hypothesis')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "testing needs hypothesis"


def test_tg_tensor_names_the_function_only():
    """No submodule is called `tensor`, so type checkers resolve `tg.tensor(...)` to the factory (pyright
    reported "Module is not callable" while tinygrad_edu/tensor.py existed)."""
    import importlib

    import tinygrad_edu as tg

    assert not (PACKAGE / "tensor.py").exists() and callable(tg.tensor)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tinygrad_edu.tensor")
