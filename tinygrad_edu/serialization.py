"""Checkpoints: `save(obj, path)` / `load(path)` for nested state (state_dicts, epoch counters).

Layer L6 (imports tensor only, for the Tensor type). One file is one .npz archive: every array
(NumPy arrays, Tensors, NumPy scalars) is a plain .npy member, and the nesting (dicts,
OrderedDicts, lists, tuples, None, bools, ints, floats, strings) is a JSON document stored in the
member `__structure__`. Nothing is pickled and `load` reads with allow_pickle=False, so loading an
untrusted file can never run code. `save` is atomic: it writes a temporary file in the target's
directory, flushes and fsyncs it, then os.replace()s it over the target, so a crash or an error
mid-save leaves the previous checkpoint intact. See docs/checkpoints.md.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from .autograd.function import TensorBase

FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1
STRUCTURE_KEY = "__structure__"
_SUPPORTED = ("dict, OrderedDict, list, tuple, None, bool, int, float, str, NumPy arrays and scalars, "
              "Tensors (saved as arrays)")


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str, open_containers: set[int]) -> dict[str, Any]:
    """The JSON node for `value`; arrays go into `arrays` under fresh names."""
    if value is None:
        return {"type": "none"}
    # NumPy first: np.float64 and np.str_ subclass float and str but should come back as NumPy scalars
    if isinstance(value, TensorBase | np.ndarray | np.generic):
        array = np.asarray(value.data if isinstance(value, TensorBase) else value)
        if array.dtype.hasobject or array.dtype.kind == "V":
            raise TypeError(f"save: the array at {where} has dtype {array.dtype}, which can only be stored by "
                            "pickling; use a numeric, bool or string dtype")
        name = f"a{len(arrays)}"
        arrays[name] = array
        return {"type": "scalar" if isinstance(value, np.generic) else "array", "key": name}
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}  # repr round-trips exactly, including nan and inf
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, dict | list | tuple):
        if id(value) in open_containers:
            raise ValueError(f"save: {where} contains itself (a circular reference)")
        open_containers.add(id(value))
        try:
            if isinstance(value, dict):
                items = []
                for key, item in value.items():
                    if isinstance(key, bool) or not isinstance(key, str | int):
                        raise TypeError(f"save: dict keys must be str or int, got {type(key).__name__} key {key!r} "
                                        f"at {where}")
                    kind = "str" if isinstance(key, str) else "int"
                    items.append([kind, key, _encode(item, arrays, f"{where}[{key!r}]", open_containers)])
                return {"type": "ordered_dict" if isinstance(value, OrderedDict) else "dict", "items": items}
            kind = "tuple" if isinstance(value, tuple) else "list"
            return {"type": kind, "items": [_encode(item, arrays, f"{where}[{i}]", open_containers)
                                            for i, item in enumerate(value)]}
        finally:
            open_containers.discard(id(value))
    raise TypeError(f"save: cannot store {type(value).__name__} at {where}; supported: {_SUPPORTED}")


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    directory = path.parent
    descriptor, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    # make the rename itself durable; not every platform lets a directory be opened
    with contextlib.suppress(OSError):
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write `obj` (nested dicts/lists/tuples of arrays, Tensors, numbers, strings) to `path` atomically.

    The file is an .npz archive at exactly `path` (no suffix is added). Tensors are stored as their
    arrays and come back from `load` as NumPy arrays, which `load_state_dict` accepts. Unsupported
    values raise TypeError naming where they sit, e.g. `obj['state'][0]['fn']`.
    """
    arrays: dict[str, np.ndarray] = {}
    root = _encode(obj, arrays, "obj", set())
    document = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    arrays[STRUCTURE_KEY] = np.array(document)  # a 0-d unicode array: no pickle needed
    _write_atomically(Path(path), arrays)


def _decode(node: Any, archive: Any, where: str) -> Any:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        raise ValueError(f"load: malformed checkpoint structure at {where}")
    kind = node["type"]
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        value = node.get("value")
        expected = {"bool": bool, "int": int, "str": str}[kind]
        if type(value) is not expected:
            raise ValueError(f"load: expected a {kind} at {where}, found {value!r}")
        return value
    if kind == "float":
        if not isinstance(node.get("value"), str):
            raise ValueError(f"load: expected a float at {where}, found {node.get('value')!r}")
        return float(node["value"])
    if kind in ("array", "scalar"):
        key = node.get("key")
        if not isinstance(key, str) or key == STRUCTURE_KEY or key not in archive.files:
            raise ValueError(f"load: {where} refers to an array {key!r} that the file does not contain")
        array = archive[key]  # allow_pickle=False: an object array raises here instead of unpickling
        return array[()] if kind == "scalar" else array
    if kind in ("list", "tuple", "dict", "ordered_dict") and not isinstance(node.get("items"), list):
        raise ValueError(f"load: the {kind} at {where} has no list of items")
    if kind in ("list", "tuple"):
        items = [_decode(item, archive, f"{where}[{i}]") for i, item in enumerate(node["items"])]
        return tuple(items) if kind == "tuple" else items
    if kind in ("dict", "ordered_dict"):
        result: dict[Any, Any] = OrderedDict() if kind == "ordered_dict" else {}
        for entry in node["items"]:
            if not (isinstance(entry, list) and len(entry) == 3 and entry[0] in ("str", "int")
                    and type(entry[1]) is {"str": str, "int": int}[entry[0]]):
                raise ValueError(f"load: malformed dict entry at {where}: {entry!r}")
            result[entry[1]] = _decode(entry[2], archive, f"{where}[{entry[1]!r}]")
        return result
    raise ValueError(f"load: unknown node type {kind!r} at {where}")


def load(path: str | os.PathLike) -> Any:
    """Read a checkpoint written by `save`; arrays and Tensors come back as NumPy arrays.

    Files that need pickle to load (object arrays, pickled Python objects) are refused with a
    ValueError, as are files that are not tinygrad_edu checkpoints.
    """
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"{path}: refused to load: not an .npz archive, and NumPy could read it only by "
                         f"unpickling, which could run code ({error})") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is not a tinygrad_edu checkpoint (a single .npy array, not an .npz archive)")
    with archive:
        try:
            return _read_document(archive, path)
        except ValueError as error:
            if "allow_pickle" in str(error):
                raise ValueError(f"{path}: refused to load: an array in it needs pickle, which could run code "
                                 f"({error})") from error
            raise


def _read_document(archive: Any, path: Any) -> Any:
    if STRUCTURE_KEY not in archive.files:
        raise ValueError(f"{path} is not a tinygrad_edu checkpoint (no {STRUCTURE_KEY} member)")
    document = json.loads(str(archive[STRUCTURE_KEY][()]))
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a tinygrad_edu checkpoint (no format marker {FORMAT!r})")
    if document.get("version") != VERSION:
        raise ValueError(f"{path}: checkpoint version {document.get('version')!r}, this version reads {VERSION}")
    return _decode(document.get("root"), archive, "obj")
