"""Fetch a file from a list of mirrors, verify its SHA-256, and write it atomically.

Layer L6 (stdlib only: urllib, hashlib, tempfile). `download_file` tries each URL in order,
streams the body into a temporary file in the destination directory while hashing it, and only
when the digest is one of the accepted ones moves it into place with os.replace. A failed,
interrupted or corrupted download therefore never leaves a partial file under the final name, and
no temporary file survives. Every network or protocol error (refused connection, HTTP error, a
cut chunked body, a server that does not speak HTTP, a reset, the per-attempt deadline) moves on
to the next mirror; all mirrors failing raises a RuntimeError listing each URL and why.
See docs/data.md ("Downloading").
"""
from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

_CHUNK = 1 << 16


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _socket_of(response: Any) -> socket.socket | None:
    """The socket under an http.client response (to bound each read by what is left of the deadline)."""
    return getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)


def _fetch_to(url: str, file: BinaryIO, max_bytes: int | None, timeout: float) -> str:
    """Stream `url` into the open binary `file` within `timeout` seconds in all; return the hex SHA-256."""
    deadline = time.monotonic() + timeout
    digest = hashlib.sha256()
    received = 0
    with urllib.request.urlopen(url, timeout=timeout) as response:
        connection = _socket_of(response)
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                if connection is not None:
                    connection.settimeout(remaining)  # one slow read cannot outlast the attempt's deadline
                chunk = response.read1(_CHUNK)  # what has arrived, not a full chunk: a trickle meets the deadline
            except TimeoutError:
                raise TimeoutError(f"no complete response within the {timeout:g} s deadline ({received} bytes "
                                   "received)") from None
            if not chunk:
                break
            received += len(chunk)
            if max_bytes is not None and received > max_bytes:
                raise ValueError(f"response larger than the expected {max_bytes} bytes")
            digest.update(chunk)
            file.write(chunk)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and received != int(declared):  # read1 reports a cut body as a plain end
            raise http.client.IncompleteRead(b"", int(declared) - received)
    return digest.hexdigest()


def download_file(urls: Sequence[str], destination: str | os.PathLike[str], sha256: str | Iterable[str], *,
                  max_bytes: int | None = None, timeout: float = 30.0) -> Path:
    """Download the first mirror whose content has an accepted SHA-256 to `destination`.

    Args:
        urls: mirror URLs (http or https), tried in order.
        destination: final file path; its directory is created if needed.
        sha256: the accepted hex digest, or several (a file published in more than one encoding).
        max_bytes: abort a mirror that sends more than this (guards against a runaway response).
        timeout: seconds per mirror for the whole attempt (connecting, headers and body together),
            not per read: a mirror that trickles bytes is abandoned at the deadline.
    Returns:
        the destination path.
    """
    accepted = {sha256.lower()} if isinstance(sha256, str) else {digest.lower() for digest in sha256}
    if not accepted:
        raise ValueError("download_file needs at least one accepted SHA-256 digest")
    if not urls:
        raise ValueError("download_file needs at least one URL")
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        if not url.startswith(("http://", "https://")):
            failures.append(f"{url}: only http:// and https:// URLs are fetched")
            continue
        descriptor, temp_name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.",
                                                 suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as file:
                digest = _fetch_to(url, file, max_bytes, timeout)
                file.flush()
                os.fsync(file.fileno())
            if digest not in accepted:
                failures.append(f"{url}: SHA-256 mismatch (got {digest}, expected {' or '.join(sorted(accepted))})")
                continue
            os.replace(temp_name, destination)
            return destination
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            # URLError: HTTP errors (404, 500), refused connections; HTTPException: a cut chunked body
            # (IncompleteRead), a server that does not speak HTTP (BadStatusLine); OSError: timeouts, resets
            failures.append(f"{url}: {type(error).__name__}: {' '.join(str(error).split())}")
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)
    raise RuntimeError(f"could not download {destination.name}; every mirror failed:\n  " + "\n  ".join(failures))
