"""Logprobs files (OpenAI chat and completions, vLLM): every figure against NumPy float64
written out here, from hand-made records of known log-probs; lm-evaluation-harness'
formulas (``lm_eval/api/metrics.py``) written out for the byte and word figures; the
top-k entropy bounds against brute force on small vocabularies; the bad inputs."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from test_accumulators import assert_same
from xent.accumulators.base import Rows
from xent.accumulators.normalised import Normalised
from xent.accumulators.top_k_entropy import TopKEntropy, entropy_bounds
from xent.cli import app
from xent.evaluation import Evaluation
from xent.options import ScoreOptions
from xent.readers.read_options import ReadOptions
from xent.runner import evaluate
from xent.scorer import rows_of, score_chunk

runner = CliRunner()
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chat_record(tokens, tops=None, n_id="x"):
    """An OpenAI chat completion: ``tokens`` [(text, logprob)], ``tops`` per token
    [(text, logprob)] (the token itself among them or not)."""
    content = []
    for i, (text, lp) in enumerate(tokens):
        entry = {"token": text, "logprob": lp, "bytes": list(text.encode())}
        listed = (tops or {}).get(i, [])
        entry["top_logprobs"] = [
            {"token": t, "logprob": x, "bytes": list(t.encode())} for t, x in listed
        ]
        content.append(entry)
    return {"id": n_id, "choices": [{"index": 0, "logprobs": {"content": content}}]}


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return str(path)


def run(path, *args):
    result = runner.invoke(app, ["compute", "--file", path, "-f", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


DOCS = [
    [("The", -0.25), (" cat", -1.5), (" sat", -0.5)],
    [("Hé", -2.0), ("llo", -0.125)],
    [(" a b", -0.75)],
]


def lm_eval_reference(docs):
    """lm-evaluation-harness, written out: per document (ll, words), (ll, bytes);
    weighted_perplexity = exp(-Σll/Σwords), byte_perplexity = exp(-Σll/Σbytes),
    bits_per_byte = -Σll/Σbytes/ln 2 (its weighted_mean is sum(a) / sum(b))."""
    lls = [sum(lp for _, lp in doc) for doc in docs]
    texts = ["".join(t for t, _ in doc) for doc in docs]
    words = [len(re.split(r"\s+", text)) for text in texts]
    nbytes = [len(text.encode("utf-8")) for text in texts]
    return {
        "word_perplexity": math.exp(-sum(lls) / sum(words)),
        "byte_perplexity": math.exp(-sum(lls) / sum(nbytes)),
        "bits_per_byte": -sum(lls) / sum(nbytes) / math.log(2),
        "words": sum(words),
        "bytes": sum(nbytes),
    }


def test_chat_records_give_every_figure(tmp_path):
    path = write_jsonl(tmp_path / "chat.jsonl", [chat_record(d) for d in DOCS])
    data = run(path)
    lps = np.array([lp for doc in DOCS for _, lp in doc], dtype=np.float64)
    nll = -lps.sum()
    lm = data["language_model"]
    assert data["rows"] == lps.size
    assert lm["tokens"] == lps.size
    assert lm["nll_nats"] == pytest.approx(nll, rel=1e-15)
    # token-weighted: exp of the mean NLL over every token of the corpus
    assert lm["token_perplexity"] == pytest.approx(math.exp(nll / lps.size), rel=1e-14)
    assert data["perplexity"] == pytest.approx(lm["token_perplexity"], rel=1e-14)
    assert lm["mean_surprisal_bits"] == pytest.approx(nll / lps.size / math.log(2), rel=1e-14)
    per_doc = [math.exp(-sum(lp for _, lp in d) / len(d)) for d in DOCS]
    assert [d["perplexity"] for d in lm["per_document"]] == pytest.approx(per_doc, rel=1e-14)
    assert lm["mean_document_perplexity"] == pytest.approx(np.mean(per_doc), rel=1e-14)
    assert [d["document"] for d in lm["per_document"]] == ["1", "2", "3"]
    ref = lm_eval_reference(DOCS)
    for key in ("word_perplexity", "byte_perplexity", "bits_per_byte", "words", "bytes"):
        assert lm[key] == pytest.approx(ref[key], rel=1e-14), key
    doc2 = lm["per_document"][1]
    assert doc2["bytes"] == 6  # H é(2 bytes) l l o
    assert doc2["bits_per_byte"] == pytest.approx(2.125 / 6 / math.log(2), rel=1e-14)


def test_bits_in_base_2_and_a_json_document(tmp_path):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps([chat_record(d) for d in DOCS], indent=2))
    data = run(str(path), "--base", "2")
    lps = np.array([lp for doc in DOCS for _, lp in doc])
    assert data["mean"] == pytest.approx(-lps.mean() / math.log(2), rel=1e-14)
    assert data["language_model"]["tokens"] == lps.size
    single = tmp_path / "one.json"
    single.write_text(json.dumps(chat_record(DOCS[0]), indent=2))
    assert run(str(single))["rows"] == 3


def test_bytes_absent_are_the_utf8_length(tmp_path):
    record = chat_record([("é", -0.5), ("x", -0.25)])
    for entry in record["choices"][0]["logprobs"]["content"]:
        entry["bytes"] = None
    data = run(write_jsonl(tmp_path / "c.jsonl", [record]))
    assert data["language_model"]["bytes"] == 3


def legacy_record(tokens, tops):
    return {
        "choices": [
            {
                "index": 0,
                "text": "".join(t for t, _ in tokens),
                "logprobs": {
                    "tokens": [t for t, _ in tokens],
                    "token_logprobs": [lp for _, lp in tokens],
                    "top_logprobs": tops,
                    "text_offset": list(range(len(tokens))),
                },
            }
        ]
    }


def test_legacy_completions(tmp_path):
    tokens = [("Hello", -0.5), (" there", -1.25)]
    tops = [{"Hello": -0.5, "Hi": -1.5}, {" world": -0.5, " there": -1.25}]
    data = run(write_jsonl(tmp_path / "l.jsonl", [legacy_record(tokens, tops)]))
    assert data["mean"] == pytest.approx(0.875, rel=1e-15)
    assert data["language_model"]["bytes"] == 11
    mass = [1 - math.exp(-0.5) - math.exp(-1.5), 1 - math.exp(-0.5) - math.exp(-1.25)]
    assert data["top_k_entropy"]["mean_mass_outside"] == pytest.approx(np.mean(mass), rel=1e-14)


def test_an_echoed_prompt_leaves_its_first_token_out(tmp_path):
    record = legacy_record([("A", None), ("B", -1.0)], None)
    data = run(write_jsonl(tmp_path / "l.jsonl", [record]))
    assert data["rows"] == 1 and data["mean"] == 1.0


def vllm_record():
    def pos(chosen, entries):
        return {
            str(i): {"logprob": lp, "rank": r, "decoded_token": text}
            for i, (text, lp, r) in entries.items()
        }

    return {
        "prompt": "Hi there",
        "prompt_token_ids": [1, 2, 3],
        "prompt_logprobs": [
            None,
            pos(None, {2: ("Hi", -3.0, 5), 9: ("The", -1.0, 1)}),
            pos(None, {3: (" there", -0.5, 1)}),
        ],
        "outputs": [
            {
                "index": 0,
                "text": " friend!",
                "token_ids": [4, 5],
                "logprobs": [
                    pos(None, {4: (" friend", -0.25, 1), 7: (" pal", -2.0, 2)}),
                    pos(None, {5: ("!", -1.25, 2), 8: (".", -0.5, 1)}),
                ],
            },
            {
                "index": 1,
                "text": " you",
                "token_ids": [6],
                "logprobs": [pos(None, {6: (" you", -1.5, 1)})],
            },
        ],
    }


def test_vllm_sampled_tokens_and_prompt(tmp_path):
    path = write_jsonl(tmp_path / "v.jsonl", [vllm_record()])
    data = run(path)  # auto: the sampled tokens
    assert data["rows"] == 3
    assert data["sum"] == pytest.approx(3.0, rel=1e-15)
    docs = data["language_model"]["per_document"]
    assert [d["document"] for d in docs] == ["1/0", "1/1"]
    assert docs[0]["perplexity"] == pytest.approx(math.exp(0.75), rel=1e-15)
    prompt = run(path, "--logprobs-mode", "vllm-prompt")
    assert prompt["rows"] == 2  # the first prompt token has no log-prob
    assert prompt["sum"] == pytest.approx(3.5, rel=1e-15)
    assert prompt["language_model"]["bytes"] == len(b"Hi there")


def test_explicit_input_format_and_mode(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text(json.dumps(chat_record(DOCS[1])) + "\n")
    data = run(str(path), "--input-format", "logprobs", "--logprobs-mode", "chat")
    assert data["rows"] == 2


# --------------------------------------------------------------------- top-k entropy


def brute_force_extremes(p_known, cap, u, steps=60):
    """Min and max of Σ φ(q_j) over a grid of the unknown q (u ≤ 3 tokens, each in
    [0, cap], summing to m): the bounds' reference."""
    m = 1.0 - sum(p_known)
    h_known = -sum(p * math.log(p) for p in p_known if p > 0)
    best = [math.inf, -math.inf]
    grid = np.linspace(0.0, cap, steps + 1)
    for head in itertools.product(grid, repeat=u - 1):
        last = m - sum(head)
        if not -1e-12 <= last <= cap + 1e-12:
            continue
        q = [*head, max(last, 0.0)]
        h = h_known - sum(x * math.log(x) for x in q if x > 0)
        best = [min(best[0], h), max(best[1], h)]
    # the two extreme points, exactly (the grid need not hold them)
    return best


@pytest.mark.parametrize(
    "chosen, others, vocab",
    [
        (-0.5, [-1.5], 5),
        (-1.2, [-0.9, -2.0], 5),
        (-0.1, [-3.0], 4),
        (-2.5, [-0.4, -1.6], 4),  # the token that came is not among the top two
        (-0.7, [], 4),  # nothing else listed: the cap is 1
    ],
)
def test_entropy_bounds_against_brute_force(chosen, others, vocab):
    logprob = np.array([chosen])
    top = np.full((1, 2), np.nan)
    top[0, : len(others)] = others
    mass, lower, upper, too_few = entropy_bounds(logprob, top, vocab)
    p_known = [math.exp(chosen)] + [math.exp(x) for x in others]
    cap = min(math.exp(x) for x in others) if others else 1.0
    u = vocab - len(p_known)
    assert mass[0] == pytest.approx(1 - sum(p_known), abs=1e-15)
    assert not too_few[0]
    low, high = brute_force_extremes(p_known, cap, u)
    # the bounds hold for every distribution of the grid, and the grid comes close
    assert lower[0] <= low + 1e-12 and upper[0] >= high - 1e-12
    assert high == pytest.approx(upper[0], abs=2e-3)
    assert low == pytest.approx(lower[0], abs=2e-2)
    # and each bound is reached by the distribution the proof names
    m = mass[0]
    h_known = -sum(p * math.log(p) for p in p_known)
    uniform = h_known - u * (m / u) * math.log(m / u)
    assert upper[0] == pytest.approx(uniform, rel=1e-12)
    n = math.floor(m / cap)
    r = m - n * cap
    concentrated = h_known - n * cap * math.log(cap) - (r * math.log(r) if r > 0 else 0.0)
    assert lower[0] == pytest.approx(concentrated, rel=1e-12)


def test_the_true_entropy_is_between_the_bounds():
    rng = np.random.default_rng(5)
    for _ in range(200):
        vocab = int(rng.integers(3, 40))
        p = rng.dirichlet(np.full(vocab, rng.uniform(0.05, 2)))
        order = np.argsort(-p)
        k = int(rng.integers(1, vocab))
        came = int(rng.integers(0, vocab))
        listed = [i for i in order[:k] if i != came]
        top = np.full((1, k), np.nan)
        top[0, : len(listed)] = np.log(p[listed])
        _, lower, upper, too_few = entropy_bounds(np.log(p[[came]]), top, vocab)
        if not listed:
            continue
        h = -(p[p > 0] * np.log(p[p > 0])).sum()
        assert not too_few[0]
        assert lower[0] - 1e-12 <= h <= upper[0] + 1e-12


def test_top_k_entropy_in_the_summary(tmp_path):
    record = chat_record(
        [("a", -0.5), ("b", -1.0)],
        {0: [("a", -0.5), ("c", -1.5)], 1: [("d", -0.75)]},
    )
    path = write_jsonl(tmp_path / "t.jsonl", [record])
    data = run(path, "--vocab-size", "6", "--base", "2")
    tk = data["top_k_entropy"]
    logprob = np.array([-0.5, -1.0])
    top = np.array([[-1.5], [-0.75]])
    mass, lower, upper, _ = entropy_bounds(logprob, top, 6)
    assert tk["mean_mass_outside"] == pytest.approx(mass.mean(), rel=1e-14)
    assert tk["entropy_lower_bound"] == pytest.approx(lower.mean() / math.log(2), rel=1e-14)
    assert tk["entropy_upper_bound"] == pytest.approx(upper.mean() / math.log(2), rel=1e-14)
    assert tk["unit"] == "bits"
    plain = run(path)["top_k_entropy"]
    assert plain["entropy_lower_bound"] is None and plain["entropy_upper_bound"] is None


def test_a_vocabulary_too_small_for_the_mass_is_an_error(tmp_path):
    record = chat_record([("a", -2.0)], {0: [("b", -2.0)]})
    path = write_jsonl(tmp_path / "t.jsonl", [record])
    result = runner.invoke(app, ["compute", "--file", path, "--vocab-size", "3"])
    assert result.exit_code == 1
    assert "vocabulary" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------------ bad inputs


BAD = [
    ({"choices": [{"logprobs": {"content": [{"token": "a"}]}}]}, "no logprob"),
    ({"choices": [{"logprobs": {"content": [{"token": "a", "logprob": 0.5}]}}]}, "above 0"),
    (
        chat_record([("a", -0.1)], {0: [("b", -0.2), ("c", -0.3)]}),
        "sum to",
    ),
    ({"choices": [{"logprobs": {"content": [{"token": "a", "logprob": -9999}]}}]}, "-9999"),
    (
        {"choices": [{"logprobs": {"content": [{"token": "a", "logprob": -1, "bytes": [-1]}]}}]},
        "bytes",
    ),
    (
        {"choices": [{"logprobs": {"content": [{"token": "a", "logprob": "x"}]}}]},
        "not a number",
    ),
    ({"choices": [{"logprobs": {"tokens": ["a"]}}]}, "token_logprobs"),
    ({"outputs": [{"logprobs": [{"1": {"logprob": -1.0}, "2": {"logprob": -2.0}}]}]}, "token ids"),
]


@pytest.mark.parametrize("record, said", BAD)
def test_bad_records_are_one_line(tmp_path, record, said):
    good = chat_record([("ok", -0.5)])
    if "token_logprobs" in said:
        good = legacy_record([("ok", -0.5)], None)
    if "token ids" in said:
        good = vllm_record()
    path = write_jsonl(tmp_path / "bad.jsonl", [good, record])
    result = runner.invoke(app, ["compute", "--file", path])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(f"xent: {path}:2: "), lines[0]
    assert said in lines[0]


def test_a_bad_record_can_be_skipped(tmp_path):
    bad = {"choices": [{"logprobs": {"content": [{"token": "a", "logprob": 0.5}]}}]}
    path = write_jsonl(tmp_path / "bad.jsonl", [chat_record(DOCS[0]), bad])
    data = run(path, "--on-error", "skip")
    assert data["rows"] == 3 and data["skipped"]["rows"] == 1


def test_rounding_above_zero_is_read_as_zero(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [chat_record([("a", 1e-7), ("b", -1.0)])])
    assert run(path)["sum"] == 1.0


def test_a_record_without_logprobs(tmp_path):
    path = write_jsonl(tmp_path / "n.jsonl", [chat_record(DOCS[0]), {"choices": [{"text": "x"}]}])
    result = runner.invoke(app, ["compute", "--file", path])
    assert result.exit_code == 1
    assert f"{path}:2:" in result.output and "Traceback" not in result.output


def test_a_bad_mode_is_a_usage_error(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [chat_record(DOCS[0])])
    result = runner.invoke(app, ["compute", "--file", path, "--logprobs-mode", "nope"])
    assert result.exit_code == 2


# ------------------------------------------------------------- split and merge


def token_chunk(seed: int, n: int):
    from xent.readers.chunks import PredictionChunk

    rng = np.random.default_rng(seed)
    lps = -rng.exponential(1.0, n)
    top = np.log(rng.uniform(0.001, 0.05, (n, 3)))
    top[rng.random((n, 3)) < 0.3] = np.nan
    return PredictionChunk(
        classes=["token"],
        values=lps.reshape(n, 1),
        lines=np.arange(1, n + 1) // 3 + 1,
        labels=np.zeros(n, dtype=np.intp),
        task="tokens",
        columns={"response": [str(x) for x in rng.integers(0, 4, n)]},
        counts={"bytes": rng.integers(1, 6, n), "words": rng.integers(0, 2, n)},
        top_logprobs=top,
    )


@FAST
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 2**31),
    cuts=st.lists(st.integers(1, 39), max_size=4),
)
def test_the_accumulators_merge_as_one_pass(n, seed, cuts):
    chunk = token_chunk(seed, n)
    options = ScoreOptions(base=2.0)
    edges = [0, *sorted({c for c in cuts if c < n}), n]
    for make in (
        lambda: Normalised(2.0, "response"),
        lambda: TopKEntropy(1000, 2.0),
    ):
        one = make()
        one.add(Rows(score_chunk(chunk, options, source="t"), 1, chunk))
        merged, before = None, 0
        for a, b in zip(edges, edges[1:]):
            piece = rows_of(chunk, slice(a, b))
            piece.columns = {"response": chunk.columns["response"][a:b]}
            acc = make()
            acc.add(Rows(score_chunk(piece, options, source="t"), 1, piece))
            merged = acc if merged is None else merged.merge(acc, before)
            before += b - a
        assert_same(merged.finish(), one.finish())


def test_the_python_api(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [chat_record(d) for d in DOCS])
    summary = evaluate(Evaluation(read=ReadOptions()), [path])
    assert summary.language.tokens == 6
    assert len(summary.language.documents) == 3


def test_the_example_file():
    """examples/chat-logprobs.jsonl: two chat responses, every figure from its records."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "chat-logprobs.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    docs = [
        [(e["token"], e["logprob"]) for e in r["choices"][0]["logprobs"]["content"]]
        for r in records
    ]
    data = run(str(path), "--vocab-size", "50")
    lps = np.array([lp for doc in docs for _, lp in doc])
    lm = data["language_model"]
    assert lm["token_perplexity"] == pytest.approx(math.exp(-lps.mean()), rel=1e-14)
    ref = lm_eval_reference(docs)
    assert lm["bits_per_byte"] == pytest.approx(ref["bits_per_byte"], rel=1e-14)
    assert lm["word_perplexity"] == pytest.approx(ref["word_perplexity"], rel=1e-14)
    top = [
        [t["logprob"] for t in e["top_logprobs"] if t["token"] != e["token"]]
        for r in records
        for e in r["choices"][0]["logprobs"]["content"]
    ]
    mass, lower, upper, _ = entropy_bounds(lps, np.array(top), 50)
    tk = data["top_k_entropy"]
    assert tk["mean_mass_outside"] == pytest.approx(mass.mean(), rel=1e-14)
    assert tk["entropy_lower_bound"] == pytest.approx(lower.mean(), rel=1e-14)
    assert tk["entropy_upper_bound"] == pytest.approx(upper.mean(), rel=1e-14)


@pytest.mark.parametrize(
    "good, bad, said",
    [
        (  # found by the fuzz suite: each was an internal error
            vllm_record(),
            {"outputs": [{"token_ids": True, "logprobs": [{"1": {"logprob": -1.0}}]}]},
            "token ids are not a list",
        ),
        (chat_record([("a", -1.0)]), chat_record([("a", 10**400)]), "out of range"),
        (
            legacy_record([("a", -1.0)], None),
            {"choices": [{"logprobs": {"tokens": [], "token_logprobs": [], "top_logprobs": True}}]},
            "top_logprobs is not a list",
        ),
    ],
)
def test_fuzz_regressions(tmp_path, good, bad, said):
    path = write_jsonl(tmp_path / "bad.jsonl", [good, bad])
    result = runner.invoke(app, ["compute", "--file", path])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"xent: {path}:2: ") and said in result.output


def test_a_json_list_names_the_response(tmp_path):
    path = tmp_path / "r.json"
    bad = {"choices": [{"logprobs": {"content": [{"token": "a", "logprob": 0.5}]}}]}
    path.write_text(json.dumps([chat_record(DOCS[0]), bad], indent=1))
    result = runner.invoke(app, ["compute", "--file", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"xent: {path}: response 2: token 1: logprob is 0.5")


def test_vllm_server_prompt_logprobs_in_choices(tmp_path):
    """vLLM's OpenAI-compatible server: prompt_logprobs inside each choice."""
    record = {
        "choices": [
            {
                "index": 0,
                "text": "!",
                "logprobs": None,
                "prompt_logprobs": [
                    None,
                    {"7": {"logprob": -2.0, "rank": 3, "decoded_token": " cat"}},
                    {"8": {"logprob": -0.5, "rank": 1, "decoded_token": " sat"}},
                ],
            }
        ]
    }
    data = run(write_jsonl(tmp_path / "v.jsonl", [record]))
    assert data["rows"] == 2 and data["sum"] == 2.5
    assert data["language_model"]["bytes"] == 8


def test_calibrate_refuses_a_logprobs_file_saying_why(xent_cli):
    # it read the log-probs as probabilities: "prediction value 1 is -0.25, outside [0, 1]"
    result = xent_cli(
        "calibrate",
        "-i",
        str(Path(__file__).resolve().parents[1] / "examples" / "chat-logprobs.jsonl"),
    )
    assert result.exit_code == 2
    assert "chat-logprobs.jsonl: a logprobs file holds the log-prob of each token" in (
        result.stderr
    )
    assert "outside [0, 1]" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_json_document_is_read_as_prediction_documents_are(xent_cli, tmp_path):
    # one reader of whole JSON documents (json_rows.load_json_document): a key given twice
    # is refused naming its line, as in a prediction file, and an empty file says so
    path = tmp_path / "twice.json"
    path.write_text(
        '{"choices": [{"logprobs": {"content": [{"token": "a", "logprob": -0.5}]}}],\n'
        ' "choices": []}\n'
    )
    result = xent_cli("compute", "-i", path, "--input-format", "logprobs")
    assert result.exit_code == 1 and "twice.json:1: the key 'choices' appears twice" in (
        result.stderr
    )
    assert len(result.stderr.splitlines()) == 1
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    result = xent_cli("compute", "-i", empty, "--input-format", "logprobs")
    assert result.exit_code == 1 and "the file is empty" in result.stderr
