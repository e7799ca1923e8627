"""Hooks: the handles shared by tensor and Module hooks, and the gates of full backward hooks.

Layer L1 (imports autograd.function only). `Tensor.register_hook` and the Module hook methods
each append a callable to a list and return a `RemovableHandle` whose `remove()` takes it out
again, as in PyTorch (torch.utils.hooks.RemovableHandle). `run_tensor_hooks` is how the engine
applies tensor hooks to a gradient; `BackwardHookGate` is the identity node around a Module call
that shows the gradients to `register_full_backward_hook` hooks. See docs/architecture.md ("Hooks").
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .function import Context, Function, TensorBase


class RemovableHandle:
    """Returned by every `register_*hook`; `handle.remove()` unregisters the hook (twice is harmless)."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        """Take the hook out of its list; later calls do nothing."""
        for position, registered in enumerate(self.hooks):
            if registered is self.hook:
                del self.hooks[position]
                return

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def add_hook(hooks: list[Any], hook: Callable[..., Any]) -> RemovableHandle:
    """Append `hook` to `hooks` (after checking it is callable) and return its handle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def run_tensor_hooks(hooks: list[Callable[[Any], Any]], grad: Any) -> Any:
    """Call each hook on the gradient in registration order; a non-None result replaces it."""
    for hook in list(hooks):  # a copy: a hook may remove itself
        result = hook(grad)
        if result is None:
            continue
        if getattr(result, "shape", None) != grad.data.shape:
            raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} has changed the size of value: it "
                               f"returned shape {getattr(result, 'shape', type(result).__name__)} for a gradient "
                               f"of shape {grad.data.shape}")
        grad = result
    return grad


class ModuleBackwardHooks:
    """One call of a Module with full backward hooks: the gradients met on the way back.

    `Module.__call__` routes the call's Tensor inputs and then its outputs through a
    `BackwardHookGate` node each. Backward reaches the output gate first (it records
    grad_output) and the input gate last, where the hooks run with (module, grad_input,
    grad_output) and may return a replacement grad_input, as torch's register_full_backward_hook.
    """

    def __init__(self, module: Any, hooks: list[Callable[..., Any]], input_count: int, gated: list[int]) -> None:
        self.module, self.hooks, self.input_count, self.gated = module, hooks, input_count, gated
        self.grad_output: tuple[Any, ...] = ()

    def outputs_done(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        self.grad_output = grads
        if not self.gated:  # no input requires grad, no input gate will be reached: call the hooks now
            self.call_hooks(())
        return grads

    def call_hooks(self, gated_grads: tuple[Any, ...]) -> tuple[Any, ...]:
        """Run the hooks with one grad_input entry per Tensor argument (None where none flows)."""
        grad_input: tuple[Any, ...] = tuple(
            gated_grads[self.gated.index(i)] if i in self.gated else None for i in range(self.input_count))
        for hook in list(self.hooks):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, tuple | list) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(f"backward hook {getattr(hook, '__name__', hook)!r} returned "
                                       f"{len(result)} gradients for {len(grad_input)} inputs")
                grad_input = result
        return tuple(grad_input[i] for i in self.gated)


class BackwardHookGate(Function):
    """d identity(xs)/dxs = 1: passes gradients through, showing them to a Module's backward hooks"""

    @staticmethod
    def forward(ctx: Context, call: ModuleBackwardHooks, is_output: bool, *arrays: Any) -> tuple[Any, ...]:
        ctx.call, ctx.is_output = call, is_output
        return arrays  # the same arrays: a gate copies nothing

    @staticmethod
    def backward(ctx: Context, *grads: Any) -> tuple[Any, ...]:
        passed = ctx.call.outputs_done(grads) if ctx.is_output else ctx.call.call_hooks(grads)
        return (None, None) + tuple(passed)


def gate_inputs(module: Any, hooks: list[Callable[..., Any]],
                args: tuple[Any, ...]) -> tuple[tuple[Any, ...], ModuleBackwardHooks]:
    """Route the Tensor arguments that require grad through one BackwardHookGate node."""
    positions = [i for i, a in enumerate(args) if isinstance(a, TensorBase)]
    gated = [k for k, i in enumerate(positions) if args[i].requires_grad]
    call = ModuleBackwardHooks(module, hooks, len(positions), gated)
    if gated:
        passed = BackwardHookGate.apply(call, False, *(args[positions[k]] for k in gated))
        replaced = list(args)
        for k, tensor in zip(gated, passed):
            replaced[positions[k]] = tensor
        args = tuple(replaced)
    return args, call


def gate_outputs(call: ModuleBackwardHooks, output: Any) -> Any:
    """Route the outputs that require grad through a BackwardHookGate, so grad_output is seen."""
    outputs = (output,) if isinstance(output, TensorBase) else output
    if not isinstance(outputs, tuple):
        return output
    gated = [k for k, o in enumerate(outputs) if isinstance(o, TensorBase) and o.requires_grad]
    if not gated:
        return output
    passed = list(outputs)
    for k, tensor in zip(gated, BackwardHookGate.apply(call, True, *(outputs[k] for k in gated))):
        passed[k] = tensor
    return passed[0] if isinstance(output, TensorBase) else tuple(passed)
