"""Every ```python block in docs/*.md runs, so the documentation cannot drift from the code.

Blocks of one page run in order in one fresh namespace (later blocks may use earlier names),
with the working directory set to a temporary folder. A page opts one block out by putting
`<!-- no-run -->` on the line right before its fence (blank lines allowed between); a block that
needs optional packages says so the same way, `<!-- requires: torch safetensors -->`, and is
skipped (with the rest of its page's blocks still running) when one is missing. Use
```text for output. Failures name the page, the block number and its first line in the file.
"""
import importlib.util
import os
import re
import traceback
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```python[ \t]*$")
NO_RUN = "<!-- no-run -->"
REQUIRES = re.compile(r"^<!-- requires: ([\w. ]+) -->$")


def _runs(marker: str) -> bool:
    """Whether a block whose preceding line is `marker` should run here."""
    if marker == NO_RUN:
        return False
    required = REQUIRES.match(marker)
    return not required or all(importlib.util.find_spec(name) is not None for name in required.group(1).split())


def python_blocks(text: str) -> list[tuple[int, int, str, bool]]:
    """(block number, first code line, code, runs) for each ```python block of a page."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if FENCE.match(lines[i].strip()):
            previous = i - 1
            while previous >= 0 and not lines[previous].strip():
                previous -= 1
            runs = previous < 0 or _runs(lines[previous].strip())
            end = i + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            if end == len(lines):
                raise ValueError(f"unclosed ```python block starting on line {i + 1}")
            blocks.append((len(blocks) + 1, i + 2, "\n".join(lines[i + 1:end]) + "\n", runs))
            i = end
        i += 1
    return blocks


PAGES = sorted(DOCS.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_python_blocks_run(page: Path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": f"docs_{page.stem}"}
    for number, line, code, runs in python_blocks(page.read_text()):
        if not runs:
            continue
        # Pad with blank lines so tracebacks show the line number inside the .md file.
        compiled = compile("\n" * (line - 1) + code, str(page), "exec")
        try:
            exec(compiled, namespace)
        except Exception:
            pytest.fail(f"{page.name}: python block {number} (line {line}) failed:\n{traceback.format_exc()}")


def test_index_lists_every_page():
    index = DOCS / "index.md"
    assert index.exists(), "docs/index.md is missing"
    text = index.read_text()
    missing = [p.name for p in PAGES if p.name != "index.md" and f"({p.name})" not in text]
    assert not missing, f"docs/index.md has no link to: {missing}"
    dangling = [name for name in re.findall(r"\]\(([\w-]+\.md)\)", text) if not (DOCS / name).exists()]
    assert not dangling, f"docs/index.md links to pages that do not exist: {dangling}"


def test_block_parser_honours_no_run_and_numbers_blocks():
    page = "text\n```python\nx = 1\n```\n<!-- no-run -->\n\n```python\nraise SystemExit\n```\n```text\nout\n```\n"
    assert python_blocks(page) == [(1, 3, "x = 1\n", True), (2, 8, "raise SystemExit\n", False)]
    optional = ("<!-- requires: os no_such_module_here -->\n```python\nx\n```\n"
                "<!-- requires: os -->\n```python\ny\n```\n")
    assert python_blocks(optional) == [(1, 3, "x\n", False), (2, 7, "y\n", True)]
    with pytest.raises(ValueError, match="unclosed"):
        python_blocks("```python\nx = 1\n")


def test_a_failing_block_is_reported_with_page_and_number(tmp_path, monkeypatch):
    page = tmp_path / "broken.md"
    page.write_text("# t\n\n```python\nok = 1\n```\n\n```python\n1 / 0\n```\n")
    with pytest.raises(pytest.fail.Exception, match=r"broken.md: python block 2 \(line 8\)"):
        test_page_python_blocks_run(page, tmp_path, monkeypatch)
    assert os.getcwd() == str(tmp_path)
