"""Module and Parameter: the containers that hold a network's weights and sub-networks.

Layer L5 (imports tensor only). Assigning a Parameter, a Module or a registered buffer to an
attribute files it in one of three explicit, ordered dicts (`_parameters`, `_modules`,
`_buffers`) in `__setattr__`; `__getattr__` reads them back and raises AttributeError for
anything else. Everything else (named_parameters, train/eval, state_dict, load_state_dict, the
repr) is a walk over those dicts, in the same order as PyTorch, so state_dict keys match
torch's for the same architecture. See docs/nn.md.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .._dtypes import is_floating
from .._grad_mode import is_grad_enabled
from ..autograd.hooks import RemovableHandle, add_hook, gate_inputs, gate_outputs
from ..device import check_device, is_device
from .._tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a weight; it requires grad unless told otherwise.

    `Parameter(t)` shares `t`'s array (as torch.nn.Parameter shares storage); other data is
    copied. Results of operations on a Parameter are plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        array = data.data if isinstance(data, Tensor) else data
        super().__init__(array, requires_grad=requires_grad)
        if isinstance(data, Tensor):
            self.data = data.data  # share, do not copy

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What load_state_dict(strict=False) could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _check_name(owner: Module, name: Any, kind: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "" or "." in name:
        raise KeyError(f'{kind} name can\'t be empty or contain ".", got {name!r}')
    if hasattr(owner, name) and name not in owner._parameters and name not in owner._buffers \
            and name not in owner._modules:
        raise KeyError(f"attribute {name!r} already exists on {type(owner).__name__}")


class Module:
    """Base class of every layer and network: subclasses assign parts in __init__ and define forward."""

    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these dicts to exist already.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; every subclass defines it. Call the module, not forward()."""
        raise TypeError(f"{type(self).__name__} does not define forward(); a Module subclass must")  # abstract

    # Hook lists, created on first registration: a module without hooks pays one test per call.
    _forward_pre_hooks: list[Callable[..., Any]] = []
    _forward_hooks: list[Callable[..., Any]] = []
    _backward_hooks: list[Callable[..., Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """PyTorch's order: forward pre-hooks, forward, forward hooks; backward hooks gate the
        Tensor inputs before forward and the outputs after the forward hooks."""
        for hook in list(self._forward_pre_hooks):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        call = None
        if self._backward_hooks and is_grad_enabled():
            args, call = gate_inputs(self, self._backward_hooks, args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output if call is None else gate_outputs(call, output)

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False) -> RemovableHandle:
        """Call `hook(module, args)` before each forward; a returned value replaces the positional args."""
        return self._add_hook("_forward_pre_hooks", hook, prepend)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False) -> RemovableHandle:
        """Call `hook(module, args, output)` after each forward; a returned value replaces the output."""
        return self._add_hook("_forward_hooks", hook, prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any], *, prepend: bool = False) -> RemovableHandle:
        """Call `hook(module, grad_input, grad_output)` when the gradients w.r.t. the module's inputs
        are computed (one grad_input entry per Tensor argument, None where none flows); a returned
        tuple replaces grad_input. Like PyTorch, hooks apply to calls made while grad mode is on."""
        return self._add_hook("_backward_hooks", hook, prepend)

    def _add_hook(self, kind: str, hook: Callable[..., Any], prepend: bool) -> RemovableHandle:
        hooks = self.__dict__.get(kind)
        if hooks is None:
            hooks = []
            object.__setattr__(self, kind, hooks)
        handle = add_hook(hooks, hook)
        if prepend:
            hooks.insert(0, hooks.pop())
        return handle

    # ----- registration
    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if isinstance(value, Parameter | Module) and None in registries:
            raise AttributeError(f"cannot assign {type(value).__name__} {name!r} before Module.__init__() call")
        if isinstance(value, Parameter):
            self._forget(name, keep=self._parameters)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif registries[0] is not None and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(nn.Parameter or None expected)")
            self._parameters[name] = None
        elif registries[1] is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                "(nn.Module or None expected)")
            self._modules[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: parameters, buffers and sub-modules live in the dicts.
        state = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in state and name in state[registry]:
                return state[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        if not self._forget(name):
            object.__delattr__(self, name)

    def _forget(self, name: str, keep: dict[str, Any] | None = None) -> bool:
        """Remove `name` from every registry except `keep` (where re-assignment keeps its position)
        and from the plain attributes; True if it was found somewhere."""
        found = False
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry and registry is not keep:
                del registry[name]
                found = True
        if keep is not self._buffers:
            self._non_persistent_buffers.discard(name)
        if name in self.__dict__:
            object.__delattr__(self, name)
            found = True
        return found

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (a Parameter, or None for an absent one) under `name`.

        Assigning `self.name = Parameter(...)` does the same; this form takes a computed name.
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} (nn.Parameter or None "
                            "expected)")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A Tensor that belongs to the module's state (saved in state_dict) but is not trained."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(self, name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r} (Tensor or None expected)")
        self._forget(name, keep=self._buffers)
        self._non_persistent_buffers.discard(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` (or None) as a child under `name`; `register_module` is the same method.

        Assigning `self.name = module` does the same; this form takes a computed name.
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(self, name, "module")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # ----- walks over the tree
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, depth first, each once."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant, each once, in registration order (depth first)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct child, each once."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """Each direct child module, once."""
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, member in getattr(module, registry).items():
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield (f"{module_prefix}.{name}" if module_prefix else name), member

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two layers appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)  # type: ignore[misc]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of this module (and its descendants when `recurse`), each once.

        Example:
            >>> sum(p.numel() for p in nn.Linear(3, 2).parameters())
            8
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) for each buffer (running statistics...), each once."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer of this module (and its descendants when `recurse`), each once."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every sub-module (children first) and then on self, e.g. to re-initialise."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for self and all descendants."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (Dropout off, BatchNorm uses running statistics); same as train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: set `.grad` to None, or to fresh zeros (never in place)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.data = np.zeros_like(param.grad.data)

    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False) -> Module:
        """Cast floating parameters, their gradients and floating buffers to dtype (keeps the objects).

        PyTorch's forms: `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(tensor)`; the device
        can only be "cpu", where everything already is, so `model.to(device)` returns the model.
        """
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif is_device(arg):
                check_device(arg)
            else:
                dtype = arg
        check_device(device)
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if not is_floating(dtype):
            raise TypeError(f"Module.to only accepts floating dtypes, got {dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if is_floating(tensor.data.dtype):
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad.data = tensor.grad.data.astype(dtype)
        return self

    def cpu(self) -> Module:
        """This module (its tensors are already on the CPU)."""
        return self

    def float(self) -> Module:
        """Cast every floating parameter and buffer to float32 in place; returns self."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Cast every floating parameter and buffer to float64 in place; returns self."""
        return self.to(np.float64)

    # ----- state
    def _state_tensors(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Every saved tensor in PyTorch's order: own parameters, own buffers, then children."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                yield prefix + name, buffer
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_tensors(f"{prefix}{name}.")

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """An OrderedDict of dotted name -> NumPy copy of every parameter and persistent buffer."""
        return OrderedDict((name, tensor.data.copy()) for name, tensor in self._state_tensors())

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the existing parameters and buffers, in place.

        Everything is checked before anything is written: missing or unexpected keys (when strict)
        and any shape mismatch raise one RuntimeError listing all of them, and the module is left
        exactly as it was. Returns the missing and unexpected keys (always empty when strict).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"expected state_dict to be a mapping, got {type(state_dict).__name__}")
        targets = dict(self._state_tensors())
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems = []
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        converted: list[tuple[Tensor, np.ndarray]] = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != target.data.shape:
                problems.append(f"size mismatch for {key}: copying a param with shape {array.shape} from "
                                f"checkpoint, the shape in current model is {target.data.shape}.")
                continue
            try:
                converted.append((target, array.astype(target.data.dtype, casting="same_kind")))
            except (TypeError, ValueError):
                problems.append(f"dtype mismatch for {key}: cannot copy {array.dtype} into {target.data.dtype}.")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(problems))
        for target, array in converted:
            target.data[...] = array  # in place: optimizers keep pointing at the same parameters
        return IncompatibleKeys(missing, unexpected)

    # ----- printing
    def extra_repr(self) -> str:
        """The constructor arguments shown between the parentheses (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, child in self._modules.items():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_text}")
        if not self._modules and len(lines) <= 1:
            return f"{type(self).__name__}({''.join(lines)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

