"""The long fuzz run: the test suite's hostile inputs, for minutes instead of seconds.

    python fuzz/long_run.py --minutes 10

Draws prediction files (valid and mutated CSV, TSV, JSON, JSON Lines; ``tests/fuzz_inputs.py``)
and command-line arguments, runs ``xent`` on each in-process, and checks the promise: a
correct result with exit 0, or one line on stderr with exit 1/2; never a traceback, never
a hang, and both CSV readers agree. It prints how many inputs it tried and each distinct
failure (after hypothesis shrinks it), and exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fuzz_inputs import check_file, prediction_files  # noqa: E402
from test_fuzz_arguments import NASTY as ARG_NASTY  # noqa: E402
from test_fuzz_arguments import VECTOR  # noqa: E402
from test_fuzz_arguments import assert_clean as assert_clean_arguments  # noqa: E402

COUNT = {"files": 0, "arguments": 0}
TOKEN = st.one_of(ARG_NASTY, st.text(max_size=12))
OPTIONS = ["--labels", "--pred", "--logits", "--classes", "--base", "--weights"]


def file_target(case) -> None:
    COUNT["files"] += 1
    fmt, table, data, mutated = case
    with tempfile.TemporaryDirectory() as directory:
        check_file(fmt, table, data, mutated, directory)


def argument_target(command, pairs) -> None:
    from fuzz_inputs import run

    COUNT["arguments"] += 1
    args = [command, "-f", "plain"]
    for option, value in pairs:
        args += [option, value]
    assert_clean_arguments(run(args))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=2000, help="examples per hypothesis run")
    parser.add_argument("--max-rows", type=int, default=40)
    parser.add_argument("--max-classes", type=int, default=12)
    args = parser.parse_args()

    batch = settings(
        max_examples=args.batch,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    targets = [
        ("files", batch(given(prediction_files(args.max_rows, args.max_classes))(file_target))),
        (
            "arguments",
            batch(
                given(
                    st.sampled_from(["compute", "entropy", "explain", "kl", "js"]),
                    st.lists(st.tuples(st.sampled_from(OPTIONS), TOKEN | VECTOR), max_size=5),
                )(argument_target)
            ),
        ),
    ]
    failures: dict[str, str] = {}
    end = time.monotonic() + args.minutes * 60
    rounds = 0
    while time.monotonic() < end:
        name, target = targets[rounds % len(targets)]
        rounds += 1
        try:
            target()
        except BaseException as error:  # noqa: BLE001  (report, and go on fuzzing)
            if isinstance(error, KeyboardInterrupt):
                break
            for one in getattr(error, "exceptions", [error]):
                text = "".join(traceback.format_exception(one))
                first = str(one).splitlines()[0][:200] if str(one) else ""
                key = f"{name}: {type(one).__name__}: {first}"
                if key not in failures:
                    failures[key] = text
                    print(f"FAILURE {key}\n{text}", flush=True)
        print(
            f"{time.monotonic() - end + args.minutes * 60:7.0f} s: {COUNT['files']:,} files, "
            f"{COUNT['arguments']:,} argument lists, {len(failures)} distinct failures",
            flush=True,
        )
    total = COUNT["files"] + COUNT["arguments"]
    print(
        f"tried {total:,} inputs ({COUNT['files']:,} files, {COUNT['arguments']:,} argument "
        f"lists) in {rounds} batches; {len(failures)} distinct failures"
    )
    for key in failures:
        print(f"  {key}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
