"""Static checks run with the suite, so a landing that breaks them fails like any other test.

ruff (rules in pyproject.toml) over the whole repository, mypy over the whole package (strict
for the modules pyproject.toml's override names), and `mkdocs build --strict` (mkdocs.yml: the
guide pages plus the API reference generated from the docstrings). The tools are dev/docs
extras; without them the checks are skipped, and `make test` / `.ci/run` install them.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev,docs]')")
    return path


def test_ruff_is_clean():
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout}{result.stderr}"


def test_docs_site_builds_strictly(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(ROOT))
    result = subprocess.run([_tool("mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
    assert (tmp_path / "site" / "api" / "tensor" / "index.html").is_file()


def test_mypy_is_clean_on_the_package():
    """mypy with pyproject.toml's [tool.mypy]: the whole package, strict where the overrides say so."""
    pytest.importorskip("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache" / "package")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
