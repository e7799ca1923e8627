"""tg.save and the file system: permission bits, read-only targets, symlinks, temp files, SIGKILL."""
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("name", ["c.safetensors", "c.npz"])
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_overwriting_keeps_the_permission_bits(tmp_path, name, mode):
    path = tmp_path / name
    tg.save({"w": np.ones(2)}, path)
    os.chmod(path, mode)
    tg.save({"w": np.zeros(3)}, path)
    assert mode_of(path) == mode
    assert tg.load(path)["w"].shape == (3,)


def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path):
    tg.save([1], tmp_path / "c")
    with open(tmp_path / "reference", "wb"):
        pass
    assert mode_of(tmp_path / "c") == mode_of(tmp_path / "reference")


READ_ONLY_SCRIPT = r"""
import os, sys
import tinygrad_edu as tg
if os.geteuid() == 0:
    os.setuid(65534)  # root may write any file; a plain user may not (imports are done: nothing more to read)
path = sys.argv[1]
try:
    open(path, "wb")
    print("open: ok")
except PermissionError as error:
    print("open:", type(error).__name__)
try:
    tg.save({"epoch": 2}, path)
    print("save: ok")
except PermissionError as error:
    print("save:", type(error).__name__, error.filename == path)
"""


def test_a_read_only_target_raises_permission_error_as_open_would():
    with tempfile.TemporaryDirectory() as folder:  # outside pytest's 0700 tree, so another user can enter
        os.chmod(folder, 0o777)
        path = Path(folder) / "c.safetensors"
        tg.save({"epoch": 1}, path)
        os.chmod(path, 0o444)
        before = path.read_bytes()
        run = subprocess.run([sys.executable, "-c", READ_ONLY_SCRIPT, str(path)], capture_output=True, text=True,
                             env=ENV, timeout=60)
        assert run.stdout.splitlines() == ["open: PermissionError", "save: PermissionError True"], run.stderr
        assert path.read_bytes() == before and mode_of(path) == 0o444
        assert sorted(os.listdir(folder)) == ["c.safetensors"]


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "real.safetensors"
    tg.save({"epoch": 1}, target)
    os.chmod(target, 0o640)
    link = tmp_path / "latest"
    link.symlink_to(target)
    tg.save({"epoch": 2}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert tg.load(target)["epoch"] == 2 and mode_of(target) == 0o640
    assert sorted(os.listdir(tmp_path / "store")) == ["real.safetensors"]
    dangling = tmp_path / "next"
    dangling.symlink_to(tmp_path / "store" / "new.safetensors")
    tg.save({"epoch": 3}, dangling)
    assert dangling.is_symlink() and tg.load(tmp_path / "store" / "new.safetensors")["epoch"] == 3


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_stale_temp_file_is_removed_by_the_next_save_to_that_path(tmp_path):
    path = tmp_path / "c.safetensors"
    stale = tmp_path / f".c.safetensors.tg-save-{dead_pid()}.tmp"
    stale.write_bytes(b"half a checkpoint")
    other = tmp_path / f".other.tg-save-{dead_pid()}.tmp"
    other.write_bytes(b"another file's leftover")
    tg.save({"epoch": 1}, path)
    assert sorted(os.listdir(tmp_path)) == [other.name, "c.safetensors"]


KILLED_SCRIPT = r"""
import os, sys, time
import numpy as np
import tinygrad_edu as tg
from tinygrad_edu import _files

def fsync_then_hang(descriptor):
    open(sys.argv[2], "w").close()  # tell the test the temporary file is fully written
    time.sleep(60)

_files.os.fsync = fsync_then_hang
tg.save({"epoch": 2, "w": np.zeros(10**6)}, sys.argv[1])
"""


def test_sigkill_during_a_save_keeps_the_old_file_and_the_next_save_cleans_up(tmp_path):
    path, ready = tmp_path / "c.safetensors", tmp_path / "ready"
    tg.save({"epoch": 1}, path)
    before = path.read_bytes()
    saver = subprocess.Popen([sys.executable, "-c", KILLED_SCRIPT, str(path), str(ready)], env=ENV)
    try:
        for _ in range(600):
            if ready.exists() or saver.poll() is not None:
                break
            time.sleep(0.1)
        assert ready.exists(), "the saving process never reached fsync"
    finally:
        saver.send_signal(signal.SIGKILL)
        saver.wait()
    leftovers = [name for name in os.listdir(tmp_path) if name.startswith(".c.safetensors.tg-save-")]
    assert leftovers == [f".c.safetensors.tg-save-{saver.pid}.tmp"]
    assert os.path.getsize(tmp_path / leftovers[0]) > 8 * 10**6
    assert path.read_bytes() == before
    tg.save({"epoch": 3}, path)
    assert sorted(os.listdir(tmp_path)) == ["c.safetensors", "ready"]
    assert tg.load(path)["epoch"] == 3


def test_saving_over_a_directory_or_a_pipe_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError):
        tg.save([1], tmp_path)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="not a regular file"):
        tg.save([1], tmp_path / "pipe")
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)
