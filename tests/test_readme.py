"""The Python examples of the README and the documentation pages run as written (doctest)."""

import doctest
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# Every page with a >>> example; the README and the Python API page have some.
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize(
    "page", [p for p in PAGES if ">>> " in p.read_text(encoding="utf-8")], ids=lambda p: p.name
)
def test_python_examples(page, monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples name files as from the project's root
    np.set_printoptions(legacy=False)
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_python_examples(monkeypatch):
    monkeypatch.chdir(README.parent)  # the examples name files as from the project's root
    np.set_printoptions(legacy=False)
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_the_python_api_page_is_tested():
    assert ">>> " in (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
