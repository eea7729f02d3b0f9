"""Hostile prediction files: random and mutated CSV, TSV, JSON and JSON Lines bytes, for
each task (multi-class, binary, multi-label), with the options that change how they are
read and scored.

For any file, ``xent compute --file`` prints a correct result (exit 0) or one line on
stderr naming the file (exit 1 or 2); never a traceback, never a hang. The strategies and
the check live in ``fuzz_inputs.py``; ``fuzz/long_run.py`` runs them far longer. Every
run is under ``ulimit -v`` (``memory_cap``): a memory blow-up fails the test.
"""

from __future__ import annotations

import tempfile

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz_inputs import TASKS, check_case, in_subprocess, memory_cap, prediction_cases

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize("task", TASKS)
def test_any_prediction_file_of_each_task(task):
    @FUZZ
    @given(prediction_cases(task=task))
    def check(case):
        with tempfile.TemporaryDirectory() as directory, memory_cap():
            check_case(case, directory)

    check()


@settings(FUZZ, max_examples=12)
@given(prediction_cases(max_rows=4, max_classes=4))
def test_the_script_under_ulimit_v(case):
    """A few files through the installed script as a real process, under ``ulimit -v``:
    no signal, no hang, no internal error, one line on failure."""
    with tempfile.TemporaryDirectory() as directory:
        path = f"{directory}/preds.{case.fmt}"
        with open(path, "wb") as f:
            f.write(case.data)
        args = ["compute", "--file", path, *case.options, "-f", case.summary[0]]
        assert in_subprocess(args, timeout=60) is None
