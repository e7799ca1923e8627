"""The package as a user gets it: sdist -> wheel -> a fresh venv, used from another directory.

The source tree is copied to a temporary folder, built with setuptools' PEP 517 hooks the way
`python -m build` does (sdist first, then the wheel from the unpacked sdist), and the wheel is
installed into a new venv with `--no-index`: nothing is downloaded. The venv sees the run-time
dependencies already installed here (NumPy, threadpoolctl) through a folder that holds only
them, so pip checks the requirements but the source tree and any editable install stay invisible.
A script then imports the package from an unrelated directory, trains a tiny model on the
embedded data and round-trips a checkpoint. The sdist must carry every file the test suite reads.
"""
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME_REQUIREMENTS = [re.match(r"[A-Za-z0-9_.-]+", line).group() for line in PROJECT["dependencies"]]
SKIP_IN_COPY = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
                                      ".pytest_cache", "runs", "checkpoints", "site", ".ipynb_checkpoints")
BUILD = """
import sys, tarfile
from pathlib import Path
from setuptools import build_meta
dist = Path(sys.argv[1])
sdist = dist / build_meta.build_sdist(str(dist))
with tarfile.open(sdist) as archive:
    archive.extractall(dist / "unpacked", filter="data")
unpacked = next((dist / "unpacked").iterdir())
import os
os.chdir(unpacked)
print(sdist.name, build_meta.build_wheel(str(dist)))
"""
USER_SCRIPT = """
import sys
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.optim as optim
from tinygrad_edu.data import DataLoader, datasets, load_mnist

package = Path(tg.__file__).resolve().parent
assert Path(sys.prefix).resolve() in package.parents, f"imported from {package}, not the venv"
assert (package / "py.typed").is_file()
tg.set_num_threads(1)
assert tg.get_num_threads() == 1

(x_train, t_train), (x_test, t_test) = load_mnist(dataset="embedded")
assert x_train.shape == (5000, 784) and t_test.shape == (1000,)

tg.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
opt = optim.Adam(model.parameters(), lr=1e-2)
loader = DataLoader(datasets.EmbeddedFashionMNIST(train=True, flatten=True), batch_size=100, shuffle=True)
losses = []
for step, (x, y) in enumerate(loader):
    loss = tg.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
    if step == 20:
        break
assert losses[-1] < losses[0], losses

tg.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "checkpoint.npz")
checkpoint = tg.load("checkpoint.npz")
restored = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
restored.load_state_dict(checkpoint["model"])
optim.Adam(restored.parameters(), lr=1e-2).load_state_dict(checkpoint["optimizer"])
with tg.no_grad():
    logits = restored(tg.tensor(x_test))
accuracy = float((logits.numpy().argmax(axis=1) == t_test).mean())
assert accuracy > 0.5, accuracy
print(f"ok {tg.__version__} {losses[0]:.3f}->{losses[-1]:.3f} accuracy {accuracy:.2f}")
"""


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def _clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INDEX"] = "1"  # nothing may come from a package index
    return env


def _expose_installed(requirements: list[str], folder: Path) -> None:
    """Symlink only these installed distributions (and their metadata) into `folder`."""
    folder.mkdir()
    for name in requirements:
        dist = importlib.metadata.distribution(name)
        base = Path(dist.locate_file(""))
        for top in {Path(str(file)).parts[0] for file in dist.files or []}:
            source = base / top
            if source.exists() and not (folder / top).exists() and top != "..":
                (folder / top).symlink_to(source)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(source copy, sdist path, wheel path)."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=SKIP_IN_COPY)
    dist = work / "dist"
    dist.mkdir()
    out = _run([sys.executable, "-c", BUILD, str(dist)], cwd=source, env=_clean_env()).stdout.split()
    return source, dist / out[-2], dist / out[-1]


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory):
    """A fresh venv with the wheel installed, without network and without the source tree."""
    _, _, wheel = built
    work = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")])
    python = work / "venv" / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    _expose_installed(RUNTIME_REQUIREMENTS, work / "dependencies")
    (site / "dependencies.pth").write_text(str(work / "dependencies") + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--find-links",
          str(wheel.parent), "tinygrad_edu"], env=_clean_env())
    return python


def test_wheel_holds_the_package_data_licences_and_metadata(built):
    _, _, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    for needed in ("tinygrad_edu/py.typed", "tinygrad_edu/data/embedded/fashion_mnist_subset.npz",
                   "tinygrad_edu/data/embedded/manifest.json", "tinygrad_edu/_tensor.py"):
        assert needed in names or any(n.endswith(needed) for n in names), needed
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSES/Fashion-MNIST.txt") for n in names)
    assert not any(n.startswith(("tests/", "docs/", "examples/")) for n in names)
    assert "License-Expression: MIT" in metadata and "Requires-Python: >=3.11" in metadata
    assert "Requires-Dist: numpy>=" in metadata and "Classifier: Typing :: Typed" in metadata


def test_sdist_carries_every_file_the_test_suite_reads(built):
    source, sdist, _ = built
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    folders = ("tinygrad_edu", "tests", "docs", "examples", "benchmarks", "notebooks")
    wanted = {str(path.relative_to(source)) for folder in folders for path in (source / folder).rglob("*")
              if path.is_file()}
    wanted |= {"LICENSE", "LICENSES/Fashion-MNIST.txt", "README.md", "Makefile", "pyproject.toml", "mkdocs.yml"}
    missing = sorted(wanted - names)
    assert not missing, f"the sdist lacks {missing[:10]}"
    assert not any(name.startswith(".ci/") for name in names)


def test_installed_wheel_trains_loads_data_and_checkpoints_from_another_directory(venv, tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(USER_SCRIPT))
    result = _run([venv, str(script)], cwd=tmp_path, env=_clean_env())
    assert result.stdout.startswith("ok 0.1.0"), result.stdout


def test_a_users_script_type_checks_strictly_against_the_installed_package(venv, tmp_path):
    """py.typed makes mypy read the package's annotations; without it every name would be Any."""
    pytest.importorskip("mypy")
    script = tmp_path / "user_script.py"
    shutil.copy(ROOT / "tests" / "typing" / "user_script.py", script)
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--python-executable", str(venv),
                             "--cache-dir", str(ROOT / ".mypy_cache" / "user-script"), "--no-error-summary",
                             str(script)], capture_output=True, text=True, cwd=tmp_path, env=_clean_env())
    assert result.returncode == 0, f"mypy --strict on a user's script:\n{result.stdout}{result.stderr}"
    run = _run([venv, str(script)], cwd=tmp_path, env=_clean_env())  # and it runs
    assert run.stdout.strip().endswith("True"), run.stdout
