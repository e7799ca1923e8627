"""Opening files to read untrusted data, and replacing files atomically, the same way everywhere.

Layer L0 (stdlib only). Used by checkpoints (serialization/) and data files (data/idx.py):
- `open_regular_file` opens without blocking and refuses anything that is not a regular file
  (a named pipe would block a reader forever, a device can be endless), raising `error_type`
  (a ValueError subclass of the caller's choice) that names the file. OS errors pass through.
- `atomic_write` writes through a temporary file beside the target, fsyncs the file and its
  directory, then renames it over the target: the previous file survives any failure. It keeps
  the target's permission bits, follows a symlink (the link stays a link), raises the
  PermissionError `open(path, "wb")` would, and removes a temporary file left by a save that was
  killed. See docs/checkpoints.md ("Saving and the file system").
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
import stat
from collections.abc import Callable
from typing import BinaryIO

TEMP_MARKER = ".tg-save-"  # temporary files are named .<target name>.tg-save-<pid>.tmp


def open_regular_file(path: str | os.PathLike[str], what: str, error_type: type[ValueError]) -> io.BufferedReader:
    """Open `path` for reading if it is a regular file; else raise `error_type` naming it (never blocks)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise error_type(f"{os.fspath(path)}: refused to read {kind} as {what}; expected a regular file")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_temp_files(target: str) -> None:
    """Delete temporary files of earlier saves to `target` whose process no longer runs (or is this one)."""
    directory, name = os.path.split(target)
    pattern = os.path.join(glob.escape(directory or "."), f".{glob.escape(name)}{TEMP_MARKER}*.tmp")
    for leftover in glob.glob(pattern):
        pid_text = leftover[:-len(".tmp")].rpartition(TEMP_MARKER)[2]
        if pid_text.isdigit() and (int(pid_text) == os.getpid() or not _pid_alive(int(pid_text))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)


def _fsync_directory(directory: str) -> None:
    # makes the rename itself durable; not every platform lets a directory be opened
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call `write(file)` on a temporary file beside `path`, then atomically replace `path` with it."""
    target = os.path.realpath(path)  # through symlinks: the link stays, the file it names is replaced
    existing = None
    with contextlib.suppress(FileNotFoundError):
        existing = os.stat(target)
    if existing is not None:
        if stat.S_ISDIR(existing.st_mode):
            raise IsADirectoryError(21, os.strerror(21), os.fspath(path))
        if not stat.S_ISREG(existing.st_mode):
            raise ValueError(f"{os.fspath(path)} is not a regular file (a pipe, device or socket); "
                             "refusing to replace it with a checkpoint")
        # the PermissionError (and nothing else) that open(path, "wb") would raise; never truncates
        os.close(os.open(target, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0)))
    directory = os.path.dirname(target)
    remove_stale_temp_files(target)
    temp_name = os.path.join(directory, f".{os.path.basename(target)}{TEMP_MARKER}{os.getpid()}.tmp")
    # 0o666 minus the umask, as open() creates files; an existing target's own bits are copied below
    descriptor = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            if existing is not None:
                os.fchmod(file.fileno(), stat.S_IMODE(existing.st_mode))
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(directory)
