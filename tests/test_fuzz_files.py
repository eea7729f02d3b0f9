"""Hostile prediction files: random and mutated CSV, TSV, JSON and JSON Lines bytes, for
each task (multi-class, binary, multi-label), with the options that change how they are
read and scored.

For any file, ``xent compute --file`` prints a correct result (exit 0) or one line on
stderr naming the file (exit 1 or 2); never a traceback, never a hang. The strategies and
the check live in ``fuzz_inputs.py``; ``fuzz/long_run.py`` runs them far longer. Every
run is under ``ulimit -v`` (``memory_cap``): a memory blow-up fails the test.
"""

from __future__ import annotations

import json
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# -- logprobs files (OpenAI chat and completions, vLLM), valid, damaged or mutated

ODD = [None, True, "x", "-0.5", [], {}, float("nan"), 0.5, 1e-7, -9999, -1e308, 10**400]


def _logprob(d, valid: bool):
    if valid:
        return -d.choice([0.0, 0.03125, 0.5, 1.25, 7.0, 30.0])
    return d.choice(ODD)


def _token(d, valid: bool):
    return d.choice(["a", " b", "é", "", "\x00", "\u2028", "bytes:\\xe2\\x80", "🙂"])


def _chat(d, n: int, valid):
    content = []
    for _ in range(n):
        text = _token(d, True)
        entry = {"token": text, "logprob": _logprob(d, valid()), "bytes": list(text.encode())}
        if not valid():
            entry[d.choice(["token", "logprob", "bytes"])] = d.choice(ODD + [[-1], [300]])
        if d.boolean():  # top_logprobs, small enough to sum to at most 1
            entry["top_logprobs"] = [
                {"token": "z", "logprob": -d.choice([3.0, 5.0, 9999.0])} for _ in range(2)
            ]
        content.append(entry)
    return {"choices": [{"index": 0, "logprobs": {"content": content}}]}


def _completions(d, n: int, valid):
    tokens = [_token(d, True) for _ in range(n)]
    logprobs = {
        "tokens": tokens,
        "token_logprobs": [_logprob(d, valid()) for _ in tokens],
        "top_logprobs": [{"q": -4.0} if d.boolean() else None for _ in tokens],
    }
    if not valid():
        logprobs[d.choice(["tokens", "token_logprobs", "top_logprobs"])] = d.choice(ODD)
    return {"choices": [{"logprobs": logprobs}]}


def _vllm(d, n: int, valid):
    ids = list(range(1, n + 1))
    positions = [
        {str(i): {"logprob": _logprob(d, valid()), "rank": 1, "decoded_token": _token(d, True)}}
        for i in ids
    ]
    if not valid() and positions:
        positions[0] = d.choice(ODD)
    out = {"token_ids": ids if valid() else d.choice(ODD), "logprobs": positions}
    record = {"outputs": [out]}
    if d.boolean():
        record["prompt_logprobs"] = [None, *positions]
    return record


@st.composite
def logprobs_files(draw):
    """A logprobs file: records of one mode (valid, or with bad fields), JSON Lines or one
    JSON list, maybe mutated; and whether every record is surely valid."""
    from fuzz_inputs import HypothesisDraw, mutate

    d = HypothesisDraw(draw)
    bad = d.boolean()
    valid = (lambda: not (bad and d.boolean())) if bad else (lambda: True)
    make = d.choice([_chat, _completions, _vllm])
    records = [make(d, d.integer(0, 4), valid) for _ in range(d.integer(1, 4))]
    jsonl = d.boolean()
    if jsonl:
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
    else:
        data = json.dumps(records, indent=d.choice([None, 1])).encode()
    mutated = d.boolean(0.3)
    if mutated:
        data = mutate(d, data)
    options = d.choice([[], ["--vocab-size", "50"], ["--logprobs-mode", "vllm-prompt"]])
    options += d.choice([[], ["--on-error", "skip"], ["--base", "2"]])
    return data, options, not (bad or mutated)


@FUZZ
@given(logprobs_files())
def test_any_logprobs_file(case):
    from fuzz_inputs import assert_clean, run

    data, options, _ = case
    with tempfile.TemporaryDirectory() as directory, memory_cap():
        path = f"{directory}/responses.jsonl"
        with open(path, "wb") as f:
            f.write(data)
        args = ["compute", "--file", path, "--input-format", "logprobs", *options]
        for fmt in ("json", "csv", "table"):
            result = run([*args, "-f", fmt])
            assert_clean(result, path)
        rows = run([*args, "-r", "none", "-f", "csv"])
        assert_clean(rows, path)
        summary = run([*args, "-f", "json"])
        if summary.exit_code == 0:
            json.loads(summary.stdout)  # strict JSON


COUNT_TEXTS = st.one_of(
    st.integers(0, 10**30).map(str),
    st.sampled_from(["-1", "2.5", "1e3", "nan", "inf", "", " 3", "0x10", "1_000", "٣", "-0"]),
    st.text(max_size=6).filter(lambda t: not set(t) & set(',"\r\n')),
)


@FUZZ
@given(counts=st.lists(COUNT_TEXTS, min_size=1, max_size=5), fmt=st.sampled_from(["csv", "tsv"]))
def test_any_byte_and_word_counts(counts, fmt):
    """--byte-column and --word-column on any texts: a result, or one line naming the row;
    non-negative integers always give a result."""
    from fuzz_inputs import assert_clean, run

    sep = "," if fmt == "csv" else "\t"
    lines = [sep.join(["label", "a", "b", "n"])]
    lines += [sep.join(["a", "0.75", "0.25", text]) for text in counts]
    with tempfile.TemporaryDirectory() as directory, memory_cap():
        path = f"{directory}/tokens.{fmt}"
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        for option in ("--byte-column", "--word-column"):
            result = run(["compute", "--file", path, option, "n", "-f", "json"])
            assert_clean(result, path)
            if all(t.isascii() and t.strip().isdigit() for t in counts):
                assert result.exit_code == 0, result.stderr


@st.composite
def model_pairs(draw):
    """Two models' arrays for ``compare`` and ``kl``: logits or log-probabilities of float16
    to float64, rows, vocabularies and targets that agree or not, NaN, ±inf or huge
    values, log-probabilities above 0; and the options that change how they are read."""
    n = draw(st.integers(0, 6))
    v = draw(st.integers(1, 7))
    dtype = draw(st.sampled_from(["float16", "float32", "float64"]))
    special = st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e300, 0.0, 0.5, -50.0])
    arrays = []
    for _ in "ab":
        z = draw(st.lists(st.floats(-30, 30, width=16), min_size=n * v, max_size=n * v))
        z = np.array(z, dtype=np.float64).reshape(n, v)
        if n and draw(st.booleans()):
            z[draw(st.integers(0, n - 1)), draw(st.integers(0, v - 1))] = draw(special)
        arrays.append(z)
    y = np.array(draw(st.lists(st.integers(-1, v), min_size=n, max_size=n)), dtype=np.int64)
    shapes = draw(st.sampled_from(["same", "rows", "vocab", "targets"]))
    return arrays, y, dtype, shapes, draw(st.sampled_from([[], ["--holds", "logprobs"]]))


@FUZZ
@given(model_pairs())
def test_any_pair_of_models(case):
    """compare of two array files and kl of an .npz of p and q: a result, or one line."""
    from fuzz_inputs import assert_clean, run

    (za, zb), y, dtype, shapes, options = case
    yb = y.copy()
    with np.errstate(all="ignore"):
        za, zb = za.astype(dtype), zb.astype(dtype)
    if shapes == "rows" and len(zb):
        zb, yb = zb[1:], yb[1:]
    elif shapes == "vocab":
        zb = np.hstack([zb, zb[:, :1]])
    elif shapes == "targets" and len(yb):
        yb[0] = (yb[0] + 1) % max(za.shape[1], 1)
    with tempfile.TemporaryDirectory() as directory, memory_cap():
        a, b, pq = f"{directory}/a.npz", f"{directory}/b.npz", f"{directory}/pq.npz"
        np.savez(a, logits=za, labels=y)
        np.savez(b, logits=zb, labels=yb)
        np.savez(pq, p=za, q=zb)
        for fmt in ("json", "csv", "table"):
            result = run(["compare", a, b, *options, "-f", fmt])
            assert_clean(result, directory)
            if result.exit_code == 0 and fmt == "json":
                json.loads(result.stdout)  # strict JSON
        assert_clean(run(["kl", "-i", pq, *options, "-f", "json"]), directory)
