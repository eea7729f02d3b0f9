"""The long fuzz run: the test suite's hostile inputs, by the ten thousand.

    python fuzz/long_run.py --per-format 20000 --minutes 60

Draws prediction files (valid and mutated CSV, TSV, JSON, JSON Lines; multi-class, binary
and multi-label; with and without options: ``tests/fuzz_inputs.py``) and command-line
argument lists, from a seeded ``random.Random`` (one seed, one input), runs ``xent`` on
each in-process (the Click command built once: a few milliseconds an input) under a
memory cap (``ulimit -d``: see ``fuzz_inputs.memory_cap``) and a per-input watchdog, and
checks the promise: exit 0 with output valid for its format (and the right number where
the input fixes it), or one ``xent: ...`` line on stderr with exit 1/2; never an internal
error, a traceback or a hang, and both CSV readers agree. Every ``--subprocess-every``-th
input also runs as a real process (the installed script, ``ulimit -v``), where a signal is
a crash.

It prints, per format (and per task within each file format), the inputs tried and the
internal errors, hangs, crashes and other broken promises; each failing input is saved
under ``--failures`` with its seed, and the run exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import collections
import faulthandler
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fuzz_inputs import (  # noqa: E402
    FORMATS,
    InternalError,
    RandomDraw,
    check_arguments,
    check_case,
    draw_arguments,
    draw_case,
    in_subprocess,
    memory_cap,
)

CATEGORIES = (*FORMATS, "arguments")
KINDS = ("internal errors", "hangs", "crashes", "other failures")


class Hang(BaseException):
    """The watchdog's alarm: an input ran past its time (a BaseException, so that neither
    xent's nor Click's ``except Exception`` takes it)."""


STACKS = {"path": None}  # where the alarm writes every thread's stack


def _alarm(signum, frame):
    if STACKS["path"] is not None:
        with open(STACKS["path"], "w") as f:
            faulthandler.dump_traceback(f, all_threads=True)
    raise Hang()


def _restart(args, state: dict) -> None:
    """Go on in a fresh process: a Hang raised inside threading or a pool may leave a lock
    held, and every later input would hang behind it (a failure of the harness, not xent)."""
    path = args.state or Path(tempfile.mkstemp(prefix="xent-fuzz-state-", suffix=".json")[1])
    path.write_text(json.dumps(state))
    sys.stdout.flush()
    argv = [a for a in sys.argv[1:]]
    if "--state" not in argv:
        argv += ["--state", str(path)]
    os.execv(sys.executable, [sys.executable, str(Path(__file__).resolve()), *argv])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-format", type=int, default=20_000, help="inputs per format")
    parser.add_argument("--minutes", type=float, default=60.0, help="stop after (at most)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--subprocess-every", type=int, default=200)
    parser.add_argument("--max-rows", type=int, default=40)
    parser.add_argument("--max-classes", type=int, default=12)
    parser.add_argument("--failures", type=Path, default=ROOT / "fuzz" / "failures")
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)  # after a restart
    args = parser.parse_args()

    os.environ.pop("XENT_CLASSES", None)
    signal.signal(signal.SIGALRM, _alarm)
    counts = {c: collections.Counter() for c in CATEGORIES}
    tasks = {c: collections.Counter() for c in FORMATS}
    exits = {c: collections.Counter() for c in CATEGORIES}
    seen: set[str] = set()
    start = time.monotonic()
    i = 0
    if args.state is not None and args.state.exists() and args.state.stat().st_size:
        state = json.loads(args.state.read_text())
        for name, table in (("counts", counts), ("tasks", tasks), ("exits", exits)):
            for c, values in state[name].items():
                table[c].update({(int(k) if k.isdigit() else k): v for k, v in values.items()})
        seen, i = set(state["seen"]), state["i"]
        start -= state["elapsed"]
    end = start + args.minutes * 60
    last_print = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="xent-fuzz-")
    while time.monotonic() < end:
        left = [c for c in CATEGORIES if counts[c]["inputs"] < args.per_format]
        if not left:
            break
        category = left[i % len(left)]
        seed = args.seed * 10**9 + i
        i += 1
        d = RandomDraw(seed)
        directory = tempfile.mkdtemp(dir=scratch)
        args.failures.mkdir(parents=True, exist_ok=True)
        STACKS["path"] = args.failures / f"{category}-{seed}.stacks"
        kind = None
        detail = ""
        try:
            if category == "arguments":
                case = draw_arguments(d)
                command = case.args
            else:
                case = draw_case(d, args.max_rows, args.max_classes, fmt=category)
                tasks[category][case.task] += 1
                # One CSV reader an input, both (and their agreement) every tenth.
                reader = d.choice(["numpy", "arrow"])
                readers = None if i % 10 == 0 else [reader]
                command = ["compute", "--file", os.path.join(directory, f"preds.{category}")]
                command += [*case.options, "-f", case.summary[0], "-r", case.summary[1]]
            # The watchdog: SIGALRM raises Hang in Python code; faulthandler kills the
            # process (with every thread's stack) if C code never comes back.
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            faulthandler.dump_traceback_later(args.timeout * 6, exit=True)
            try:
                with memory_cap():
                    if category == "arguments":
                        status = check_arguments(case, directory)
                    else:
                        status = check_case(case, directory, readers)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                faulthandler.cancel_dump_traceback_later()
            exits[category][status] += 1
            no_nul = not any("\x00" in a for a in command)  # a process' argv cannot hold NUL
            if args.subprocess_every and i % args.subprocess_every == 0 and no_nul:
                kind = in_subprocess(command, args.timeout * 3)
                detail = f"subprocess: xent {' '.join(command)}"
        except Hang:
            kind, detail = "hangs", f"over {args.timeout} s"
        except InternalError as error:
            kind, detail = "internal errors", str(error)
        except Exception as error:  # noqa: BLE001  (a broken promise: report, go on)
            kind, detail = "other failures", "".join(traceback.format_exception(error))[-1500:]
        except MemoryError as error:  # outside xent: the harness itself ran out
            kind, detail = "internal errors", f"MemoryError: {error}"
        counts[category]["inputs"] += 1
        if kind is not None:
            counts[category][kind] += 1
            args.failures.mkdir(parents=True, exist_ok=True)
            name = args.failures / f"{category}-{seed}"
            data = getattr(case, "data", None)
            if data is not None:
                name.with_suffix(".input").write_bytes(data)
            name.with_suffix(".txt").write_text(f"{case!r}\n{kind}: {detail}\n")
            key = f"{category}: {kind}: {detail.strip().splitlines()[-1][:160] if detail else ''}"
            if key not in seen:
                seen.add(key)
                print(f"FAILURE seed {seed}: {key}\n{detail}\n", flush=True)
        shutil.rmtree(directory, ignore_errors=True)
        if kind == "hangs":
            shutil.rmtree(scratch, ignore_errors=True)
            state = {
                "counts": counts,
                "tasks": tasks,
                "exits": {c: {str(k): v for k, v in e.items()} for c, e in exits.items()},
                "seen": sorted(seen),
                "i": i,
                "elapsed": time.monotonic() - start,
            }
            print(f"restarting after the hang of seed {seed}", flush=True)
            _restart(args, state)
        if time.monotonic() - last_print > 60:
            last_print = time.monotonic()
            done = ", ".join(f"{c} {counts[c]['inputs']:,}" for c in CATEGORIES)
            bad = sum(counts[c][k] for c in CATEGORIES for k in KINDS)
            print(f"{last_print - start:6.0f} s: {done}; {bad} failures", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    if args.state is not None:
        args.state.unlink(missing_ok=True)

    wall = time.monotonic() - start
    total = sum(counts[c]["inputs"] for c in CATEGORIES)
    print(f"long run, seed {args.seed}: {total:,} inputs in {wall:.0f} s")
    failed = 0
    for c in CATEGORIES:
        n = counts[c]
        failed += sum(n[k] for k in KINDS)
        line = f"  {c}: {n['inputs']:,} inputs"
        if c in tasks:
            line += " (" + ", ".join(f"{t} {tasks[c][t]:,}" for t in sorted(tasks[c])) + ")"
        line += ", " + ", ".join(f"{n[k]} {k}" for k in KINDS)
        line += "; exits " + ", ".join(f"{s}: {m:,}" for s, m in sorted(exits[c].items()))
        print(line)
    for t in ("binary", "multilabel"):
        print(f"  {t} files (all formats): {sum(tasks[c][t] for c in FORMATS):,} inputs")
    short = [c for c in CATEGORIES if counts[c]["inputs"] < args.per_format]
    if short:
        print(f"  short of {args.per_format:,} inputs (time ran out): {', '.join(short)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
