"""download=True against a local HTTP server: mirror order, SHA-256 checks, atomic writes."""
import dataclasses
import gzip
import hashlib
import http.server
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.data import datasets, load_mnist, sources
from tinygrad_edu.data.download import download_file, sha256_of
from tinygrad_edu.data.idx import idx_bytes


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    """/missing/* answers 404, /corrupt/* serves flipped bytes, /good/* serves the real files."""

    files: dict = {}
    requests: list = []

    def do_GET(self):  # noqa: N802 (the http.server hook name)
        self.requests.append(self.path)
        mirror, _, name = self.path.lstrip("/").partition("/")
        if mirror == "missing" or name not in self.files:
            self.send_error(404)
            return
        body = self.files[name]
        if mirror == "corrupt":
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MirrorHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def mirror(server):
    """Four small MNIST-format files served by the local mirrors, and a spec that points at them."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": (np.arange(30) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (8, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(8) % 10).astype(np.uint8),
    }
    payloads = {name: gzip.compress(idx_bytes(array), mtime=0) for name, array in arrays.items()}
    MirrorHandler.files = payloads
    MirrorHandler.requests = []
    files = {key: dataclasses.replace(spec, sha256=(hashlib.sha256(payloads[spec.name]).hexdigest(),),
                                      size=len(payloads[spec.name]))
             for key, spec in sources.MNIST.files.items()}
    spec = dataclasses.replace(sources.MNIST, files=files,
                               mirrors=(f"{server}/missing/", f"{server}/corrupt/", f"{server}/good/"))
    return spec, payloads


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_mirrors_are_tried_in_order_until_one_verifies(mirror, tmp_path):
    spec, payloads = mirror
    name = "train-labels-idx1-ubyte.gz"
    urls = [m + name for m in spec.mirrors]
    path = download_file(urls, tmp_path / "out" / name, spec.files["train-labels"].sha256)
    assert path.read_bytes() == payloads[name]
    assert MirrorHandler.requests == [f"/missing/{name}", f"/corrupt/{name}", f"/good/{name}"]
    assert leftovers(tmp_path / "out") == []


def test_every_mirror_failing_names_each_failure_and_leaves_nothing(mirror, tmp_path):
    spec, payloads = mirror
    name = "t10k-labels-idx1-ubyte.gz"
    good_digest = hashlib.sha256(payloads[name]).hexdigest()
    with pytest.raises(RuntimeError) as info:
        download_file([spec.mirrors[0] + name, spec.mirrors[1] + name, "ftp://example.invalid/x"],
                      tmp_path / name, good_digest)
    message = str(info.value)
    assert "404" in message
    corrupted = bytes([payloads[name][0] ^ 0xFF]) + payloads[name][1:]
    assert f"SHA-256 mismatch (got {hashlib.sha256(corrupted).hexdigest()}, expected {good_digest})" in message
    assert "only http:// and https://" in message
    assert list(tmp_path.iterdir()) == []


def test_a_wrong_expected_digest_rejects_even_the_good_mirror(mirror, tmp_path):
    spec, _ = mirror
    name = "t10k-labels-idx1-ubyte.gz"
    with pytest.raises(RuntimeError, match="SHA-256 mismatch"):
        download_file([spec.mirrors[2] + name], tmp_path / name, "0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_oversized_response_is_abandoned(mirror, tmp_path):
    spec, _ = mirror
    name = "train-images-idx3-ubyte.gz"
    with pytest.raises(RuntimeError, match="larger than the expected 100 bytes"):
        download_file([spec.mirrors[2] + name], tmp_path / name, spec.files["train-images"].sha256, max_bytes=100)
    assert list(tmp_path.iterdir()) == []


def test_failed_download_keeps_an_existing_file_untouched(mirror, tmp_path):
    spec, _ = mirror
    name = "t10k-labels-idx1-ubyte.gz"
    target = tmp_path / name
    target.write_bytes(b"previous content")
    with pytest.raises(RuntimeError):
        download_file([spec.mirrors[1] + name], target, spec.files["test-labels"].sha256)
    assert target.read_bytes() == b"previous content"
    assert leftovers(tmp_path) == []


def test_interrupted_transfer_leaves_no_partial_file(mirror, tmp_path, monkeypatch):
    spec, _ = mirror
    name = "train-images-idx3-ubyte.gz"
    from tinygrad_edu.data import download

    real_fetch = download._fetch_to

    def fetch_then_crash(url, file, max_bytes, timeout):
        real_fetch(url, file, max_bytes, timeout)
        raise KeyboardInterrupt  # the user pressing Ctrl-C after the body arrived, before the rename

    monkeypatch.setattr(download, "_fetch_to", fetch_then_crash)
    with pytest.raises(KeyboardInterrupt):
        download_file([spec.mirrors[2] + name], tmp_path / name, spec.files["train-images"].sha256)
    assert list(tmp_path.iterdir()) == []


def test_dataset_download_true_fetches_into_the_cache_then_reuses_it(mirror, tmp_path, monkeypatch):
    spec, payloads = mirror
    for variable in ("TINYGRAD_EDU_DATA", "TINYGRAD_EDU_MNIST"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(datasets.MNIST, "spec", spec)
    train = datasets.MNIST(train=True, download=True)
    cache = tmp_path / "tinygrad_edu" / "mnist"
    assert len(train) == 30 and str(cache) in train.source
    assert sha256_of(cache / "train-images-idx3-ubyte.gz") == hashlib.sha256(
        payloads["train-images-idx3-ubyte.gz"]).hexdigest()
    fetched = len(MirrorHandler.requests)
    assert len(datasets.MNIST(train=True, download=True)) == 30
    assert len(MirrorHandler.requests) == fetched  # already there: no network
    assert sorted(p.name for p in cache.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_load_mnist_download_into_root(mirror, tmp_path, monkeypatch):
    spec, _ = mirror
    monkeypatch.setitem(sources.SPECS, "mnist", spec)
    (x, t), (xt, tt), source = load_mnist(dataset="mnist", root=tmp_path / "root", download=True, return_source=True)
    assert x.shape == (30, 784) and xt.shape == (8, 784)
    np.testing.assert_array_equal(t, np.arange(30) % 10)
    assert source.count(str(tmp_path / "root")) == 2
    assert leftovers(tmp_path / "root") == []


def test_published_digests_are_well_formed():
    for spec in sources.SPECS.values():
        assert len(spec.files) == 4 and all(m.endswith("/") for m in spec.mirrors)
        for file in spec.files.values():
            assert file.name.endswith("-ubyte.gz") and file.size > 0
            assert all(len(d) == 64 and int(d, 16) >= 0 for d in file.sha256)


needs_debian = pytest.mark.skipif(not Path(sources.FASHION_MNIST.system_dir).is_dir(),
                                  reason="dataset-fashion-mnist missing")


@needs_debian
def test_debian_fashion_files_match_a_recorded_digest():
    for file in sources.FASHION_MNIST.files.values():
        assert sha256_of(Path(sources.FASHION_MNIST.system_dir) / file.name) in file.sha256


# The gzip timestamps of Zalando's published archives (found by search, 2017-08-31 10:50 UTC).
ZALANDO_GZIP_MTIME = {"train-images": 1504176606, "train-labels": 1504176606,
                      "test-images": 1504176627, "test-labels": 1504176627}


@needs_debian
def test_debian_fashion_files_are_zalandos_archives_with_a_normalised_gzip_header():
    """Putting back the file name and timestamp gives exactly the published SHA-256: same compressed data,
    so the images Debian ships (and the embedded subset built from them) are Zalando's, byte for byte."""
    for key, file in sources.FASHION_MNIST.files.items():
        debian = (Path(sources.FASHION_MNIST.system_dir) / file.name).read_bytes()
        assert debian[3] == 0  # no FNAME flag in Debian's header
        name = file.name.removesuffix(".gz").encode() + b"\x00"
        rebuilt = (b"\x1f\x8b\x08\x08" + ZALANDO_GZIP_MTIME[key].to_bytes(4, "little") + debian[8:10] + name
                   + debian[10:])
        assert len(rebuilt) == file.size
        assert hashlib.sha256(rebuilt).hexdigest() == file.sha256[0], key


class FaultyHandler(http.server.BaseHTTPRequestHandler):
    """/cut/* ends a chunked body mid-way, /short/* closes before Content-Length, /trickle/* sends a byte
    every 0.1 s; /good/* serves the file."""

    protocol_version = "HTTP/1.1"
    body = b""

    def do_GET(self):  # noqa: N802 (the http.server hook name)
        mirror = self.path.lstrip("/").partition("/")[0]
        try:
            self.send_response(200)
            if mirror == "cut":
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n%s\r\n" % (10, self.body[:10]))
                self.wfile.write(b"ffff\r\nonly a few bytes")  # promises 65535 bytes, then hangs up
            elif mirror == "short":
                self.send_header("Content-Length", str(len(self.body)))
                self.end_headers()
                self.wfile.write(self.body[:len(self.body) // 2])
            elif mirror == "trickle":
                self.send_header("Content-Length", str(len(self.body)))
                self.end_headers()
                for byte in self.body[:60]:  # 6 s to send 60 bytes, unless the client gives up first
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
            else:
                self.send_header("Content-Length", str(len(self.body)))
                self.end_headers()
                self.wfile.write(self.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        self.close_connection = True

    def log_message(self, *args):
        return


@pytest.fixture(scope="module")
def faulty_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FaultyHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def not_http_server():
    """A TCP server on 127.0.0.1 that answers every connection with a line that is not HTTP."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


def test_protocol_errors_move_on_to_the_next_mirror_and_are_all_listed(faulty_server, not_http_server, tmp_path):
    body = bytes(range(256)) * 40
    FaultyHandler.body = body
    urls = [f"{not_http_server}/x", f"{faulty_server}/cut/x", f"{faulty_server}/short/x", f"{faulty_server}/good/x"]
    path = download_file(urls, tmp_path / "x", hashlib.sha256(body).hexdigest(), timeout=5)
    assert path.read_bytes() == body and leftovers(tmp_path) == []
    with pytest.raises(RuntimeError) as info:
        download_file(urls[:3], tmp_path / "y", hashlib.sha256(body).hexdigest(), timeout=5)
    failures = [line.strip() for line in str(info.value).splitlines()[1:]]
    assert len(failures) == 3 and all(line.startswith(f"{url}: ") for line, url in zip(failures, urls))
    assert "BadStatusLine" in failures[0] and "IncompleteRead" in failures[1] and "IncompleteRead" in failures[2]


def test_the_timeout_bounds_a_whole_attempt_not_each_read(faulty_server, tmp_path):
    body = bytes(range(100))
    FaultyHandler.body = body
    urls = [f"{faulty_server}/trickle/x", f"{faulty_server}/good/x"]
    path = download_file(urls, tmp_path / "x", hashlib.sha256(body).hexdigest(), timeout=0.5)
    assert path.read_bytes() == body
    with pytest.raises(RuntimeError, match=r"trickle/x: TimeoutError: .*0.5 s deadline"):
        download_file(urls[:1], tmp_path / "y", hashlib.sha256(body).hexdigest(), timeout=0.5)
