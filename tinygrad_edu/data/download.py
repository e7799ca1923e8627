"""Fetch a file from a list of mirrors, verify its SHA-256, and write it atomically.

Layer L6 (stdlib only: urllib, hashlib, tempfile). `download_file` tries each URL in order,
streams the body into a temporary file in the destination directory while hashing it, and only
when the digest is one of the accepted ones moves it into place with os.replace. A failed,
interrupted or corrupted download therefore never leaves a partial file under the final name, and
no temporary file survives. All mirrors failing raises a RuntimeError listing each URL and why.
See docs/data.md ("Downloading").
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

_CHUNK = 1 << 16


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch_to(url: str, file, max_bytes: int | None, timeout: float) -> str:
    """Stream `url` into the open binary `file`; return the hex SHA-256 of what was written."""
    digest = hashlib.sha256()
    received = 0
    with urllib.request.urlopen(url, timeout=timeout) as response:
        for chunk in iter(lambda: response.read(_CHUNK), b""):
            received += len(chunk)
            if max_bytes is not None and received > max_bytes:
                raise ValueError(f"response larger than the expected {max_bytes} bytes")
            digest.update(chunk)
            file.write(chunk)
    return digest.hexdigest()


def download_file(urls: Sequence[str], destination: str | os.PathLike, sha256: str | Iterable[str], *,
                  max_bytes: int | None = None, timeout: float = 30.0) -> Path:
    """Download the first mirror whose content has an accepted SHA-256 to `destination`.

    Args:
        urls: mirror URLs (http or https), tried in order.
        destination: final file path; its directory is created if needed.
        sha256: the accepted hex digest, or several (a file published in more than one encoding).
        max_bytes: abort a mirror that sends more than this (guards against a runaway response).
        timeout: seconds per connection attempt.
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
        except (urllib.error.URLError, OSError, ValueError) as error:
            # URLError covers HTTP errors (404, 500) and refused connections; OSError timeouts/resets
            failures.append(f"{url}: {error}")
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)
    raise RuntimeError(f"could not download {destination.name}; every mirror failed:\n  " + "\n  ".join(failures))
