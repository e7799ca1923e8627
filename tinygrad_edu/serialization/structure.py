"""The nesting of a checkpoint as a JSON document, shared by both file formats; its limits and errors.

Layer L6 (imports autograd.function only, for the Tensor type). `encode` turns nested dicts,
OrderedDicts, lists, tuples, None, bools, ints (any size), floats, strings, arrays, NumPy scalars
and Tensors into JSON nodes (`{"type": "int", "value": 3}`, `{"type": "array", "key": "w"}`)
and collects the arrays under their keys; `decode` turns nodes back, refusing anything that is
not exactly what `encode` writes. Both enforce the same limits (MAX_DEPTH, MAX_NODES), so every
file `save` writes can be loaded. See docs/checkpoints.md.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.function import TensorBase

FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1
MAX_DEPTH = 100  # containers inside containers
MAX_NODES = 1_000_000  # values of any kind in one checkpoint
_SMALL_INT = 2**63  # larger ints are written in hex: decimal parsing stops at 4300 digits
SUPPORTED = ("dict, OrderedDict, list, tuple, None, bool, int, float, str, NumPy arrays and scalars, "
             "Tensors (saved as arrays)")


class CheckpointError(ValueError):
    """A checkpoint file is malformed or hostile; the message names the file and what is wrong."""


class Encoder:
    """Walks a Python object once, building its JSON node and the dict of arrays it holds."""

    def __init__(self, readable_names: bool) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.readable_names = readable_names
        self.nodes = 0
        self.open_containers: set[int] = set()

    def _name(self, path: list[str]) -> str:
        if not self.readable_names:
            return f"a{len(self.arrays)}"
        base = ".".join(path) or "tensor"  # a state dict's keys stay its tensor names
        name, copy = base, 1
        while name in self.arrays:
            copy += 1
            name = f"{base}~{copy}"
        return name

    def encode(self, value: Any, where: str, path: list[str], depth: int = 0) -> dict[str, Any]:
        """The JSON node for `value` found at `where` (`obj['model']['w']`)."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ValueError(f"save: more than {MAX_NODES} values in one checkpoint (at {where})")
        if value is None:
            return {"type": "none"}
        # NumPy first: np.float64 and np.str_ subclass float and str but should come back as NumPy scalars
        if isinstance(value, TensorBase | np.ndarray | np.generic):
            array = np.asarray(value.data if isinstance(value, TensorBase) else value)
            if array.dtype.hasobject or array.dtype.kind == "V":
                raise TypeError(f"save: the array at {where} has dtype {array.dtype}, which can only be stored by "
                                "pickling; use a numeric, bool or string dtype")
            name = self._name(path)
            self.arrays[name] = array
            return {"type": "scalar" if isinstance(value, np.generic) else "array", "key": name}
        if isinstance(value, bool):  # before int: bool is a subclass of int
            return {"type": "bool", "value": value}
        if isinstance(value, int):
            if -_SMALL_INT < value < _SMALL_INT:
                return {"type": "int", "value": value}
            return {"type": "int", "hex": hex(value)}
        if isinstance(value, float):
            return {"type": "float", "value": repr(value)}  # repr round-trips exactly, including nan and inf
        if isinstance(value, str):
            return {"type": "str", "value": value}
        if isinstance(value, dict | list | tuple):
            return self._container(value, where, path, depth)
        raise TypeError(f"save: cannot store {type(value).__name__} at {where}; supported: {SUPPORTED}")

    def _container(self, value: dict[Any, Any] | list[Any] | tuple[Any, ...], where: str, path: list[str],
                   depth: int) -> dict[str, Any]:
        if depth >= MAX_DEPTH:
            raise ValueError(f"save: {where} is nested more than {MAX_DEPTH} containers deep")
        if id(value) in self.open_containers:
            raise ValueError(f"save: {where} contains itself (a circular reference)")
        self.open_containers.add(id(value))
        try:
            if isinstance(value, dict):
                items = []
                for key, item in value.items():
                    if isinstance(key, bool) or not isinstance(key, str | int):
                        raise TypeError(f"save: dict keys must be str or int, got {type(key).__name__} key {key!r} "
                                        f"at {where}")
                    kind = "str" if isinstance(key, str) else "int"
                    node = self.encode(item, f"{where}[{key!r}]", path + [str(key)], depth + 1)
                    items.append([kind, key, node])
                return {"type": "ordered_dict" if isinstance(value, OrderedDict) else "dict", "items": items}
            kind = "tuple" if isinstance(value, tuple) else "list"
            return {"type": kind, "items": [self.encode(item, f"{where}[{i}]", path + [str(i)], depth + 1)
                                            for i, item in enumerate(value)]}
        finally:
            self.open_containers.discard(id(value))


class Decoder:
    """Rebuilds the object from its JSON node; `fetch(key, where)` reads the array stored under `key`."""

    def __init__(self, source: str, fetch: Callable[[str, str], np.ndarray]) -> None:
        self.source = source
        self.fetch = fetch
        self.used_keys: set[str] = set()
        self.nodes = 0

    def fail(self, message: str) -> CheckpointError:
        """The error for a malformed node, naming the file."""
        return CheckpointError(f"{self.source}: {message}")

    def decode(self, node: Any, where: str = "obj", depth: int = 0) -> Any:
        """The value described by `node`, which sits at `where`."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(f"more than {MAX_NODES} values in the structure (at {where})")
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise self.fail(f"malformed checkpoint structure at {where}: expected a node, found {str(node)[:80]}")
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "str"):
            value = node.get("value")
            if type(value) is not {"bool": bool, "str": str}[kind]:
                raise self.fail(f"expected a {kind} at {where}, found {str(value)[:80]}")
            return value
        if kind == "int":
            return self._int(node, where)
        if kind == "float":
            try:
                return float(node["value"])
            except (KeyError, TypeError, ValueError):
                raise self.fail(f"expected a float at {where}, found {str(node.get('value'))[:80]}") from None
        if kind in ("array", "scalar"):
            return self._array(node, kind, where)
        if kind in ("list", "tuple", "dict", "ordered_dict"):
            if not isinstance(node.get("items"), list):
                raise self.fail(f"the {kind} at {where} has no list of items")
            if depth >= MAX_DEPTH:
                raise self.fail(f"structure nested more than {MAX_DEPTH} containers deep (at {where})")
            if kind in ("list", "tuple"):
                items = [self.decode(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(node["items"])]
                return tuple(items) if kind == "tuple" else items
            return self._dict(node, kind, where, depth)
        raise self.fail(f"unknown node type {kind[:40]!r} at {where}")

    def _int(self, node: dict[str, Any], where: str) -> int:
        if "hex" in node and isinstance(node["hex"], str):
            try:
                return int(node["hex"], 16)  # base 16 has no digit limit, unlike int(str)
            except ValueError:
                raise self.fail(f"malformed hex int at {where}: {node['hex'][:80]!r}") from None
        if type(node.get("value")) is not int:
            raise self.fail(f"expected an int at {where}, found {str(node.get('value'))[:80]}")
        value: int = node["value"]
        return value

    def _array(self, node: dict[str, Any], kind: str, where: str) -> Any:
        key = node.get("key")
        if not isinstance(key, str):
            raise self.fail(f"{where} refers to an array without a key")
        if key in self.used_keys:  # sharing one stored array between places would multiply memory on load
            raise self.fail(f"{where} refers to the array {key[:80]!r} a second time; each is stored once")
        self.used_keys.add(key)
        array = self.fetch(key, where)
        if kind == "scalar":
            if array.ndim != 0:
                raise self.fail(f"{where} is a scalar but its array {key[:80]!r} has shape {array.shape}")
            return array[()]
        return array

    def _dict(self, node: dict[str, Any], kind: str, where: str, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = OrderedDict() if kind == "ordered_dict" else {}
        for entry in node["items"]:
            if not (isinstance(entry, list) and len(entry) == 3 and entry[0] in ("str", "int")
                    and type(entry[1]) is {"str": str, "int": int}[entry[0]]):
                raise self.fail(f"malformed dict entry at {where}: {str(entry)[:80]}")
            result[entry[1]] = self.decode(entry[2], f"{where}[{entry[1]!r}]", depth + 1)
        return result


def document(root: dict[str, Any]) -> dict[str, Any]:
    """The whole JSON document: format marker, version and the root node."""
    return {"format": FORMAT, "version": VERSION, "root": root}


def root_of(document: Any, source: str) -> Any:
    """The root node of a document, after checking its format marker and version."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointError(f"{source} is not a tinygrad_edu checkpoint (no format marker {FORMAT!r})")
    if document.get("version") != VERSION:
        raise CheckpointError(f"{source}: checkpoint version {str(document.get('version'))[:20]}, "
                              f"this version reads {VERSION}")
    return document.get("root")


def parse_json(text: str | bytes, source: str, what: str) -> Any:
    """json.loads, with every failure (syntax, duplicate keys, nesting) as a CheckpointError naming the file."""
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise CheckpointError(f"{source}: the {what} names {key[:80]!r} twice")
                seen.add(key)
        return result

    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise CheckpointError(f"{source}: the {what} is nested too deeply to parse") from None
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError, and int strings over 4300 digits
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(f"{source}: the {what} is not valid JSON ({error})") from None
