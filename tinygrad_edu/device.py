"""Devices: `device("cpu")`, the one device this build has, and PyTorch's availability checks.

Layer L0 (stdlib only). Every tensor lives in host memory as a NumPy array, so the only device
is "cpu". PyTorch code names a device everywhere (`x.to(device)`, `zeros(3, device=device)`,
`model.to(device)`); accepting "cpu" lets that code run unchanged, and putting a tensor on "cuda"
or "mps" fails at once with a RuntimeError that says why instead of running somewhere unexpected
(naming such a device, `device("cuda")`, is allowed, as in PyTorch without a GPU).
`cuda.is_available()` and `backends.mps.is_available()` return False, so the usual
device-selection line picks "cpu". See docs/pytorch.md.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

_KNOWN_ACCELERATORS = ("cuda", "mps", "xpu", "xla", "meta", "hip", "mtia", "vulkan", "ipu", "hpu")


class device:
    """A device name as PyTorch writes it: `device("cpu")`, `device("cpu", 0)`, `device("cuda:0")`.

    Naming an accelerator is allowed, as in PyTorch on a machine without one; putting a tensor
    or a module there raises a RuntimeError, since only "cpu" exists in this build.
    """

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            index = type.index if index is None else index
            type = type.type
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if number:
            if index is not None:
                raise ValueError(f"device(): type {type!r} already names an index; do not pass index={index}")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r} (expected e.g. 'cpu' or 'cpu:0')")
            index = int(number)
        if name != "cpu" and name not in _KNOWN_ACCELERATORS:
            raise RuntimeError(f"Expected one of cpu, cuda, mps device type at start of device string: {type!r}")
        self.type = name
        self.index = index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, ValueError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r})" if self.index is None else \
            f"device(type={self.type!r}, index={self.index})"


CPU = device("cpu")


def check_device(value: Any) -> None:
    """Accept None, "cpu", "cpu:0" or device("cpu") as a `device=` argument; raise for anything else."""
    if value is None or value is CPU:
        return
    chosen = device(value)
    if chosen.type != "cpu":
        raise RuntimeError(f"device {str(chosen)!r} is not available: tinygrad_edu runs on NumPy, so every tensor "
                           "lives on the 'cpu' device (use device='cpu')")
    if chosen.index not in (None, 0):
        raise RuntimeError(f"device {str(chosen)!r} does not exist: this build has one device, 'cpu'")


def is_device(value: Any) -> bool:
    """True for a device object or a string naming a device (also "cuda", which is then refused)."""
    if isinstance(value, device):
        return True
    return isinstance(value, str) and value.partition(":")[0] in ("cpu",) + _KNOWN_ACCELERATORS


def _not_available() -> bool:
    """False: this build has no accelerator (every tensor is a NumPy array on the CPU)."""
    return False


def _no_devices() -> int:
    """0: this build sees no accelerator devices."""
    return 0


cuda = SimpleNamespace(is_available=_not_available, device_count=_no_devices)
"""`cuda.is_available()` is False, so `"cuda" if cuda.is_available() else "cpu"` picks "cpu"."""

backends = SimpleNamespace(mps=SimpleNamespace(is_available=_not_available, is_built=_not_available),
                           cuda=SimpleNamespace(is_built=_not_available))
"""`backends.mps.is_available()` is False (PyTorch's tutorials check it when choosing a device)."""


def _no_accelerator() -> None:
    """None: there is no current accelerator in this build."""
    return None


accelerator = SimpleNamespace(is_available=_not_available, current_accelerator=_no_accelerator,
                              device_count=_no_devices)
"""`accelerator.is_available()` is False (newer tutorials choose their device with it)."""
