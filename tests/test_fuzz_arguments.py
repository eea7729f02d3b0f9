"""Hostile command-line arguments: for any input, xent prints an exact answer (exit 0) or
one line on stderr (exit 1 or 2); never a traceback, never a hang."""

import math
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_inputs import ARG_NASTY, argument_cases, check_arguments, memory_cap

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Pieces that parsers trip on (the long run's list), mixed with arbitrary text.
NASTY = st.sampled_from(ARG_NASTY)
TOKEN = st.one_of(NASTY, st.text(max_size=12))
VECTOR = st.lists(TOKEN, min_size=0, max_size=6).map(",".join)


def assert_clean(result):
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    if result.exit_code == 0:
        if result.stdout.lstrip().startswith("Usage:"):  # -h among the arguments
            return
        for line in result.stdout.splitlines():
            value = float(line)  # plain output is numbers only
            assert not math.isnan(value)
    else:
        assert result.stdout == ""
        assert result.stderr.startswith("xent: ")
        assert result.stderr.count("\n") == 1, result.stderr


@FUZZ
@given(labels=TOKEN | VECTOR, pred=VECTOR, classes=st.none() | VECTOR, base=st.none() | TOKEN)
def test_compute_arguments(xent_cli, labels, pred, classes, base):
    args = ["compute", "--labels", labels, "--pred", pred, "--format", "plain"]
    if classes is not None:
        args += ["--classes", classes]
    if base is not None:
        args += ["--base", base]
    assert_clean(xent_cli(*args))


@FUZZ
@given(labels=TOKEN, logits=VECTOR)
def test_compute_logits(xent_cli, labels, logits):
    assert_clean(xent_cli("compute", "--labels", labels, "--logits", logits, "-f", "plain"))


@FUZZ
@given(pred=VECTOR, base=st.none() | TOKEN)
def test_entropy_arguments(xent_cli, pred, base):
    args = ["entropy", "--pred", pred, "-f", "plain"]
    if base is not None:
        args += ["--base", base]
    assert_clean(xent_cli(*args))


@FUZZ
@given(st.lists(TOKEN, max_size=6))
def test_any_argument_list(xent_cli, argv):
    assert_clean(xent_cli("compute", *argv))


@settings(max_examples=150, deadline=None)
@given(argument_cases())
def test_any_command_with_any_options(case):
    """Every command with the options added since the first round (--sample-weights,
    --weights, --label-smoothing, --ignore-index, --clip, --top-k, --bins, --worst,
    --multi-label, --from-logits, -r none, -o FILE), in every format, under ulimit -v."""
    with tempfile.TemporaryDirectory() as directory, memory_cap():
        check_arguments(case, directory)
