"""Normalised perplexity on every source that carries counts (issue 22, item 4): per-row
byte and word counts from a CSV or Parquet column or an .npz/.safetensors array, documents
from ``--sequence-column``, against lm-evaluation-harness' formulas written out here
(``lm_eval/api/metrics.py``: weighted_perplexity = exp(−Σ ll / Σ words), byte_perplexity =
exp(−Σ ll / Σ bytes), bits_per_byte = −Σ ll / Σ bytes / ln 2) in NumPy float64."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from test_accumulators import assert_same
from test_lm_sources import write_safetensors
from xent.cli import app

runner = CliRunner()
RNG = np.random.default_rng(22)
N, V = 40, 7
LOGITS = RNG.normal(size=(N, V)) * 2
TOKENS = RNG.integers(0, V, N)
DOCS = np.repeat(np.arange(1, 6), 8)  # five documents of eight tokens
BYTES = RNG.integers(1, 9, N)
# lm-evaluation-harness counts a document's words once: here on its first row.
WORDS = np.where(np.r_[True, DOCS[1:] != DOCS[:-1]], RNG.integers(3, 12, N), 0)


def log_softmax(z):
    top = z.max(axis=1, keepdims=True)
    return z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))


LL = log_softmax(LOGITS)[np.arange(N), TOKENS]  # each token's log-likelihood


def reference():
    """lm-evaluation-harness: per document (ll, words) and (ll, bytes), then weighted_mean
    = sum(a) / sum(b) over the documents."""
    docs = np.unique(DOCS)
    ll = np.array([LL[DOCS == d].sum() for d in docs])
    words = np.array([WORDS[DOCS == d].sum() for d in docs])
    nbytes = np.array([BYTES[DOCS == d].sum() for d in docs])
    tokens = np.array([(DOCS == d).sum() for d in docs])
    return {
        "word_perplexity": math.exp(-ll.sum() / words.sum()),
        "byte_perplexity": math.exp(-ll.sum() / nbytes.sum()),
        "bits_per_byte": -ll.sum() / nbytes.sum() / math.log(2),
        "token_perplexity": math.exp(-ll.sum() / tokens.sum()),
        "mean_document_perplexity": np.mean(np.exp(-ll / tokens)),
        "per_document": np.exp(-ll / tokens),
        "doc_bits_per_byte": -ll / nbytes / math.log(2),
        "doc_word_perplexity": np.exp(-ll / words),
        "bytes": int(nbytes.sum()),
        "words": int(words.sum()),
    }


def write_csv(path):
    header = ["label", *[f"c{j}" for j in range(V)], "doc", "nbytes", "nwords"]
    lines = [",".join(header)]
    for i in range(N):
        cells = [f"c{TOKENS[i]}", *(repr(float(x)) for x in LOGITS[i])]
        lines.append(",".join([*cells, f"d{DOCS[i]}", str(BYTES[i]), str(WORDS[i])]))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def write_parquet(path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    columns = {"label": [f"c{t}" for t in TOKENS]}
    columns |= {f"c{j}": LOGITS[:, j] for j in range(V)}
    columns |= {"doc": [f"d{d}" for d in DOCS], "nbytes": BYTES, "nwords": WORDS}
    pq.write_table(pa.table(columns), path)
    return str(path)


def write_npz(path):
    np.savez(path, logits=LOGITS, labels=TOKENS, doc=DOCS, nbytes=BYTES, nwords=WORDS)
    return str(path)


def write_st(path):
    ints = {"labels": TOKENS, "doc": DOCS, "nbytes": BYTES, "nwords": WORDS}
    tensors = {"logits": ("F64", LOGITS)}
    tensors |= {name: ("I64", np.asarray(a, dtype=np.int64)) for name, a in ints.items()}
    write_safetensors(path, tensors)
    return str(path)


COUNTS = ["--byte-column", "nbytes", "--word-column", "nwords", "--sequence-column", "doc"]


@pytest.mark.parametrize(
    "write, name, extra",
    [
        (write_csv, "t.csv", ["--from-logits"]),
        (write_parquet, "t.parquet", ["--from-logits"]),
        (write_npz, "t.npz", []),
        (write_st, "t.safetensors", []),
    ],
)
def test_every_source_gives_lm_evaluation_harness_figures(tmp_path, write, name, extra):
    path = write(tmp_path / name)
    result = runner.invoke(app, ["compute", "--file", path, "-f", "json", *COUNTS, *extra])
    assert result.exit_code == 0, result.output
    lm = json.loads(result.stdout)["language_model"]
    ref = reference()
    for key in ("word_perplexity", "byte_perplexity", "bits_per_byte", "token_perplexity"):
        assert lm[key] == pytest.approx(ref[key], rel=1e-12), key
    assert lm["mean_document_perplexity"] == pytest.approx(ref["mean_document_perplexity"])
    assert (lm["bytes"], lm["words"], lm["documents"]) == (ref["bytes"], ref["words"], 5)
    docs = lm["per_document"]
    assert [d["perplexity"] for d in docs] == pytest.approx(ref["per_document"], rel=1e-12)
    assert [d["bits_per_byte"] for d in docs] == pytest.approx(ref["doc_bits_per_byte"])
    assert [d["word_perplexity"] for d in docs] == pytest.approx(ref["doc_word_perplexity"])


def test_counts_without_documents_and_in_bits(tmp_path):
    path = write_csv(tmp_path / "t.csv")
    args = ["compute", "--file", path, "--from-logits", "-f", "json", "--base", "2"]
    result = runner.invoke(
        app, [*args, "--byte-column", "nbytes", "--ignore-columns", "doc,nwords"]
    )
    assert result.exit_code == 0, result.output
    lm = json.loads(result.stdout)["language_model"]
    ref = reference()
    assert lm["bits_per_byte"] == pytest.approx(ref["bits_per_byte"], rel=1e-12)
    assert lm["words"] is None and lm["word_perplexity"] is None
    assert lm["documents"] == 0 and lm["mean_document_perplexity"] is None


def test_sequence_ids_in_an_array_file(tmp_path):
    path = write_npz(tmp_path / "t.npz")
    result = runner.invoke(
        app, ["compute", "--file", path, "--sequence-column", "doc", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    seq = json.loads(result.stdout)["sequences"]
    ref = reference()
    assert seq["sequences"] == 5
    assert seq["corpus_perplexity"] == pytest.approx(ref["token_perplexity"], rel=1e-12)
    assert seq["mean_sequence_perplexity"] == pytest.approx(ref["mean_document_perplexity"])


@pytest.mark.parametrize(
    "value, said",
    [
        ("-3", "is negative"),
        ("2.5", "is not an integer"),
        ("many", "is not a number"),
        ("inf", "is too large"),
        ("1e30", "is too large"),
    ],
)
def test_a_bad_count_is_one_line(tmp_path, value, said):
    path = tmp_path / "t.csv"
    path.write_text(f"label,a,b,n\na,0.5,0.5,3\nb,0.25,0.75,{value}\n")
    result = runner.invoke(app, ["compute", "--file", str(path), "--byte-column", "n"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(f"xent: {path}:3: byte count"), lines[0]
    assert said in lines[0]


def test_a_bad_count_in_an_array(tmp_path):
    path = tmp_path / "t.npz"
    np.savez(path, logits=LOGITS[:3], labels=TOKENS[:3], n=np.array([1.0, -2.0, 3.0]))
    result = runner.invoke(app, ["compute", "--file", str(path), "--word-column", "n"])
    assert result.exit_code == 1
    assert "word count '-2' in 'n' is negative" in result.output


@pytest.mark.parametrize(
    "args, said",
    [
        (["--labels", "a", "--pred", "0.5,0.5", "--byte-column", "n"], "a file's column"),
        (
            ["--file", "examples/weighted.csv", "--sample-weights", "weight", "--byte-column", "n"],
            "unweighted",
        ),
    ],
)
def test_rules(args, said):
    result = runner.invoke(app, ["compute", *args])
    assert result.exit_code == 2, result.output
    assert said in result.output


def test_a_format_without_columns_says_so(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"label": "a", "pred": [0.5, 0.5], "n": 3}\n')
    result = runner.invoke(app, ["compute", "--file", str(path), "--byte-column", "n"])
    assert result.exit_code == 2
    assert "not jsonl" in result.output


def test_the_example_file():
    """examples/tokens-counted.csv: logits per token, documents, byte and word counts."""
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "tokens-counted.csv"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    z = np.array([[float(r[f"t{j}"]) for j in range(4)] for r in rows])
    labels = np.array([int(r["label"][1:]) for r in rows])
    ll = log_softmax(z)[np.arange(len(rows)), labels]
    nbytes = sum(int(r["bytes"]) for r in rows)
    words = sum(int(r["words"]) for r in rows)
    args = ["--from-logits", "--byte-column", "bytes", "--word-column", "words"]
    args += ["--sequence-column", "doc", "-f", "json"]
    result = runner.invoke(app, ["compute", "--file", str(path), *args])
    assert result.exit_code == 0, result.output
    lm = json.loads(result.stdout)["language_model"]
    assert lm["bits_per_byte"] == pytest.approx(-ll.sum() / nbytes / math.log(2), rel=1e-12)
    assert lm["word_perplexity"] == pytest.approx(math.exp(-ll.sum() / words), rel=1e-12)
    assert lm["byte_perplexity"] == pytest.approx(math.exp(-ll.sum() / nbytes), rel=1e-12)


def test_rows_left_out_keep_their_counts_apart(tmp_path):
    """--ignore-index leaves rows out of the loss: their counts go with them (the counts
    are matched to the scored rows by line)."""
    path = tmp_path / "t.csv"
    path.write_text("label,a,b,n\na,0.5,0.5,3\nb,0.25,0.75,100\na,0.125,0.875,5\n")
    args = ["compute", "--file", str(path), "--byte-column", "n", "--ignore-index", "1"]
    result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    lm = json.loads(result.stdout)["language_model"]
    ll = math.log(0.5) + math.log(0.125)
    assert lm["bytes"] == 8 and lm["tokens"] == 2
    assert lm["bits_per_byte"] == pytest.approx(-ll / 8 / math.log(2), rel=1e-14)


# Each document's counts on every one of its rows (--counts-per document).
DOC_BYTES = {d: int(BYTES[DOCS == d].sum()) for d in np.unique(DOCS)}
DOC_WORDS = {d: int(WORDS[DOCS == d].sum()) for d in np.unique(DOCS)}


def write_document_counts(path, change=None):
    header = ["label", *[f"c{j}" for j in range(V)], "doc", "nbytes", "nwords"]
    lines = [",".join(header)]
    for i in range(N):
        cells = [f"c{TOKENS[i]}", *(repr(float(x)) for x in LOGITS[i])]
        nbytes = DOC_BYTES[DOCS[i]] + (1 if change == i else 0)
        lines.append(",".join([*cells, f"d{DOCS[i]}", str(nbytes), str(DOC_WORDS[DOCS[i]])]))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_counts_per_document_are_taken_once(tmp_path):
    path = write_document_counts(tmp_path / "t.csv")
    args = ["compute", "--file", path, "--from-logits", *COUNTS, "--counts-per", "document"]
    result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    lm = json.loads(result.stdout)["language_model"]
    ref = reference()  # the same documents' counts, given once a document
    for key in ("word_perplexity", "byte_perplexity", "bits_per_byte", "bytes", "words"):
        assert lm[key] == pytest.approx(ref[key], rel=1e-12), key
    assert [d["bits_per_byte"] for d in lm["per_document"]] == pytest.approx(
        ref["doc_bits_per_byte"]
    )


def test_counts_per_document_that_differ_name_the_row(tmp_path):
    path = write_document_counts(tmp_path / "t.csv", change=10)  # document 2's third row
    args = ["compute", "--file", path, "--from-logits", *COUNTS, "--counts-per", "document"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output.startswith(f"xent: {path}:12: document 'd2' has byte counts")


def test_counts_per_document_needs_the_documents():
    args = ["compute", "--file", "examples/tokens-counted.csv", "--byte-column", "bytes"]
    result = runner.invoke(app, [*args, "--counts-per", "document"])
    assert result.exit_code == 2 and "--sequence-column" in result.output


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 30),
    cuts=st.lists(st.integers(1, 29), max_size=4),
    per_document=st.booleans(),
)
def test_normalised_merges_as_one_pass(seed, n, cuts, per_document):
    """Any split of the rows, merged in order, gives the one pass's figures (documents
    spanning pieces, counts per row or per document)."""
    from xent.accumulators.base import Rows
    from xent.accumulators.normalised import Normalised
    from xent.options import ScoreOptions
    from xent.readers.chunks import PredictionChunk
    from xent.scorer import rows_of, score_chunk

    rng = np.random.default_rng(seed)
    docs = np.sort(rng.integers(0, 4, n))
    per_doc = {d: int(rng.integers(0, 9)) for d in range(4)}
    nbytes = np.array([per_doc[d] for d in docs]) if per_document else rng.integers(0, 9, n)
    z = rng.normal(size=(n, 3))
    chunk = PredictionChunk(
        classes=["a", "b", "c"],
        values=z,
        lines=np.arange(2, n + 2),
        labels=rng.integers(0, 3, n),
        logits=True,
        columns={"doc": [f"d{d}" for d in docs]},
        counts={"bytes": nbytes, "words": nbytes // 2 if not per_document else nbytes},
    )
    options = ScoreOptions(base=2.0)
    edges = [0, *sorted({c for c in cuts if c < n}), n]

    def make():
        return Normalised(2.0, "doc", "t", per_document)

    one = make()
    one.add(Rows(score_chunk(chunk, options, source="t"), 1, chunk))
    merged = None
    for a, b in zip(edges, edges[1:]):
        piece = rows_of(chunk, slice(a, b))
        piece.columns = {"doc": chunk.columns["doc"][a:b]}
        acc = make()
        acc.add(Rows(score_chunk(piece, options, source="t"), 1, piece))
        merged = acc if merged is None else merged.merge(acc, a)
    assert_same(merged.finish(), one.finish())


def test_group_by_and_sequences_read_a_parquet_column_as_a_csv_one(tmp_path):
    """Kept columns (groups, documents) of Parquet and .npz files read as a CSV's do."""
    csv_path = write_csv(tmp_path / "t.csv")
    parquet = write_parquet(tmp_path / "t.parquet")
    for option in ("--group-by", "--sequence-column"):
        outputs = []
        for path in (csv_path, parquet):
            args = ["compute", "--file", path, "--from-logits", option, "doc", "-f", "json"]
            result = runner.invoke(app, [*args, "--ignore-columns", "nbytes,nwords"])
            assert result.exit_code == 0, result.output
            data = json.loads(result.stdout)
            outputs.append(data.get("groups") or data.get("sequences"))
        assert outputs[0] == outputs[1]
