"""The version, written once in pyproject.toml, is what xent reports; the changelog has it.

The wheel, the sdist, pipx and uv are tested by .ci/run, from the built archives.
"""

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import xent
from xent import _version
from xent.cli import app

ROOT = Path(__file__).resolve().parents[1]


def pyproject_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version = "([^"]+)"$', project, re.M).group(1)


def test_the_installed_version_is_pyproject_s():
    # An editable install keeps the metadata of its install: reinstall after a bump.
    assert importlib.metadata.version("xent") == pyproject_version()


def test_version_option_prints_it():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"xent {pyproject_version()}\n"
    assert xent.__version__ == pyproject_version()


def test_the_quick_lookup_finds_what_importlib_metadata_finds():
    assert _version._from_path() == _version._from_importlib() == pyproject_version()


def test_the_lookup_falls_back_to_importlib_metadata(monkeypatch):
    monkeypatch.setattr(_version, "_cached", None)
    monkeypatch.setattr(_version, "_from_path", lambda: None)  # a zip import, say
    assert _version.version() == pyproject_version()


def test_a_tree_never_installed_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(_version, "_cached", None)
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert _version.version() == _version.UNKNOWN == "0+unknown"


def test_json_documents_begin_with_the_version():
    for args in (
        ["compute", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2", "-f", "json"],
        ["compute", "-i", str(ROOT / "examples/animals.csv"), "-f", "json"],
        ["explain", "-i", str(ROOT / "examples/animals.csv"), "-f", "json"],
        ["kl", "--p", "0.5,0.5", "--q", "0.4,0.6", "-f", "json"],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith('{\n  "xent_version": "')
        data = json.loads(result.stdout)
        assert next(iter(data)) == "xent_version"
        assert data["xent_version"] == pyproject_version()


def test_json_lines_rows_carry_no_version():
    args = ["compute", "-i", str(ROOT / "examples/animals.csv"), "-r", "none", "-f", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "xent_version" not in result.stdout


def test_start_up_never_imports_importlib_metadata():
    # It costs ~25 ms (the email package): the version is read from the metadata file.
    code = (
        "import sys, os; from xent.cli import main\n"
        "sys.argv = ['xent', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('importlib.metadata' in sys.modules, file=sys.stderr)"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XENT_", "_XENT"))}
    for fmt in ("plain", "json"):
        article = ["compute", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2", "-f", fmt]
        result = subprocess.run(
            [sys.executable, "-c", code, *article],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )
        assert result.stderr.strip() == "False", (fmt, result.stderr)
    result = subprocess.run(
        [sys.executable, "-c", code, "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.stdout == f"xent {pyproject_version()}\n"
    assert result.stderr.strip() == "False"


def test_no_pkg_resources_anywhere():
    # Slow to import and deprecated: importlib.metadata is what reads the version.
    for folder in ("src", "tests", "benchmarks", "fuzz", "docs", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            if path != Path(__file__):
                assert "pkg_resources" not in path.read_text(encoding="utf-8"), path


def test_the_changelog_has_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.M)
    assert versions[0] == pyproject_version()  # the newest first
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))[::-1]
    for heading in re.findall(r"^### (.+)$", changelog, re.M):
        assert heading in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"} | {
            "Changed in the last digit"
        }
