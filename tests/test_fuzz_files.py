"""Hostile prediction files: random and mutated CSV, TSV, JSON and JSON Lines bytes.

For any file, ``xent compute --file`` prints a correct result (exit 0) or one line on
stderr naming the file (exit 1 or 2); never a traceback, never a hang. The strategies and
the check live in ``fuzz_inputs.py``; ``fuzz/long_run.py`` runs them far longer.
"""

from __future__ import annotations

import tempfile

from hypothesis import HealthCheck, given, settings

from fuzz_inputs import check_file, prediction_files

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(prediction_files())
def test_any_prediction_file(case):
    fmt, table, data, mutated = case
    with tempfile.TemporaryDirectory() as directory:
        check_file(fmt, table, data, mutated, directory)
