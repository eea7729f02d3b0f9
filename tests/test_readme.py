"""The README's Python examples run as written (doctest)."""

import doctest
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples(monkeypatch):
    monkeypatch.chdir(README.parent)  # the examples name files as from the project's root
    np.set_printoptions(legacy=False)
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
