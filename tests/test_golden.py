"""Every recorded output of tests/golden/cases.py, byte for byte: what a refactor keeps.

An output that is meant to change is recorded again (``python tests/golden/cases.py NAME``)
in the commit that changes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from golden import cases

ROOT = Path(__file__).resolve().parents[1]
RECORDED = json.loads((Path(cases.__file__).with_name("outputs.json")).read_text())


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_every_case_is_recorded():
    expected = set(cases.CASES) | set(cases.CLUSTER_CASES) | set(cases.BIG_CASES)
    assert set(RECORDED) == expected


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_output_unchanged(name):
    assert cases.run(cases.CASES[name]) == RECORDED[name]


@pytest.mark.parametrize("name", sorted(cases.CLUSTER_CASES))
def test_cluster_output_unchanged(name):
    pytest.importorskip("distributed")
    assert cases.run(cases.CLUSTER_CASES[name]) == RECORDED[name]


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("golden") / cases.BIG
    cases.big_file(path)
    return path


@pytest.mark.parametrize("name", sorted(cases.BIG_CASES))
def test_big_output_unchanged(name, big):
    env, args = cases.BIG_CASES[name]
    if env.get("XENT_CSV_READER") == "arrow":
        pytest.importorskip("pyarrow")
    if int(env.get("XENT_CSV_WORKERS", "0")) > 1 and not hasattr(os, "fork"):
        pytest.skip("worker processes need fork")
    out = cases.run([str(big) if a == cases.BIG else a for a in args], env)
    for stream in ("stdout", "stderr"):
        out[stream] = out[stream].replace(str(big), cases.BIG)
    assert out == RECORDED[name]
