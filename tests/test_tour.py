"""docs/tour.md stays true: its code prints what the page shows, its source quotes match the engine,
and the committed figures are what its code draws."""
import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "tour.md"


def blocks(text):
    """(language, body) for every fenced block, in order, plus whether an output block follows code."""
    found = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL):
        found.append((match.group(1), match.group(2), match.start(), match.end()))
    return found


def run_page(text):
    """Run the page's python blocks in one namespace; return [(printed, expected or None)] and the namespace."""
    found = blocks(text)
    namespace = {"__name__": "tour"}
    results = []
    for k, (language, body, _, end) in enumerate(found):
        if language != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(body, f"{PAGE.name} block {k}", "exec"), namespace)
        expected = None
        if k + 1 < len(found):
            next_language, next_body, next_start, _ = found[k + 1]
            if next_language == "text" and not text[end:next_start].strip():
                expected = next_body
        results.append((out.getvalue(), expected))
    return results, namespace


@pytest.fixture(scope="module")
def page():
    text = PAGE.read_text(encoding="utf-8")
    results, namespace = run_page(text)
    return text, results, namespace


def test_every_code_block_prints_what_the_page_shows(page):
    _, results, _ = page
    shown = [(printed, expected) for printed, expected in results if expected is not None]
    assert len(shown) == len(results) >= 10  # every code block on this page has its output below it
    for printed, expected in shown:
        assert printed == expected


def test_quoted_source_is_verbatim(page):
    text, _, _ = page
    quotes = [body for language, body, _, _ in blocks(text)
              if language == "text" and body.startswith("# tinygrad_edu/")]
    assert len(quotes) >= 10
    for body in quotes:
        path, _, excerpt = body.partition("\n")
        source = (ROOT / path[2:]).read_text(encoding="utf-8")
        assert excerpt in source, f"the excerpt from {path[2:]} no longer matches the source:\n{excerpt}"


def test_committed_figures_are_what_the_code_draws(page):
    _, _, namespace = page
    for variable, name in (("graph", "tour_forward"), ("backward_graph", "tour_backward")):
        committed = (ROOT / "docs" / "figures" / f"{name}.dot").read_text(encoding="utf-8")
        assert committed == str(namespace[variable]) + "\n"
        assert (ROOT / "docs" / "figures" / f"{name}.svg").exists()
