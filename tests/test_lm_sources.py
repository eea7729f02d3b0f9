"""Array sources at vocabulary scale (issue 22, item 1): .npy (with --labels-file), .npz,
.safetensors (float16, bfloat16, float32, float64) and llama.cpp's logits file, scored
against NumPy float64 written out here: the perplexity is exp(mean NLL), the NLL
-log_softmax(z)[target] in float64."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from xent.readers.files import read_prediction_chunks
from xent.readers.lm_arrays import block_rows
from xent.readers.read_options import ReadOptions

T, V = 70, 600


def reference_nll(values, targets, holds="logits") -> np.ndarray:
    """-log Q at the targets in float64: log_softmax of logits, or the values as given."""
    z = np.asarray(values, dtype=np.float64)
    if holds == "logits":
        m = z.max(axis=1, keepdims=True)
        z = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    elif holds == "probabilities":
        z = np.log(z)
    return -z[np.arange(len(targets)), targets]


def logits_and_targets(seed=0, t=T, v=V):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((t, v)) * 4, rng.integers(0, v, t)


def write_safetensors(path, tensors: dict) -> None:
    """A .safetensors file as the format says: 8-byte header length, JSON, raw data."""
    header, blobs, offset = {}, [], 0
    for name, (kind, array) in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {
            "dtype": kind,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def bfloat16_bits(z: np.ndarray) -> np.ndarray:
    """float32 to bfloat16 by truncation: the top 16 bits."""
    return (z.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def from_bfloat16(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def run_json(xent_cli, *args):
    result = xent_cli("compute", "--file", *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def check(summary, nll):
    assert summary["rows"] == len(nll)
    assert summary["cross_entropy"] == pytest.approx(nll.mean(), rel=1e-12, abs=0)
    assert summary["perplexity"] == pytest.approx(np.exp(nll.mean()), rel=1e-12, abs=0)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_npy_with_a_labels_file(xent_cli, tmp_path, dtype):
    z, y = logits_and_targets()
    z = z.astype(dtype)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "y.npy", y)
    summary = run_json(xent_cli, tmp_path / "z.npy", "--labels-file", tmp_path / "y.npy")
    check(summary, reference_nll(z, y))
    assert any("read as logits" in note for note in summary["notes"])


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_members_stored_or_compressed(xent_cli, tmp_path, compressed):
    z, y = logits_and_targets(1)
    save = np.savez_compressed if compressed else np.savez
    save(tmp_path / "a.npz", logits=z.astype(np.float32), tokens=y)
    check(run_json(xent_cli, tmp_path / "a.npz"), reference_nll(z.astype(np.float32), y))


@pytest.mark.parametrize(
    ("kind", "cast"),
    [
        ("F64", lambda z: z),
        ("F32", lambda z: z.astype(np.float32)),
        ("F16", lambda z: z.astype(np.float16)),
        ("BF16", bfloat16_bits),
    ],
)
def test_safetensors_dtypes(xent_cli, tmp_path, kind, cast):
    z, y = logits_and_targets(2)
    stored = cast(z)
    write_safetensors(tmp_path / "m.safetensors", {"logits": (kind, stored), "labels": ("I64", y)})
    exact = from_bfloat16(stored) if kind == "BF16" else stored
    check(run_json(xent_cli, tmp_path / "m.safetensors"), reference_nll(exact, y))


def test_safetensors_tokens_from_a_labels_file(xent_cli, tmp_path):
    z, y = logits_and_targets(3)
    write_safetensors(tmp_path / "m.safetensors", {"out": ("F32", z.astype(np.float32))})
    np.save(tmp_path / "y.npy", y.astype(np.int32))
    summary = run_json(xent_cli, tmp_path / "m.safetensors", "--labels-file", tmp_path / "y.npy")
    check(summary, reference_nll(z.astype(np.float32), y))


def log_softmax64(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("how", ["option", "name", "auto"])
def test_log_probabilities_are_used_as_log_q(xent_cli, tmp_path, how):
    z, y = logits_and_targets(4)
    lp = log_softmax64(z)
    name = "log_probs" if how == "name" else "values"
    np.savez(tmp_path / "lp.npz", **{name: lp, "labels": y})
    extra = ["--holds", "logprobs"] if how == "option" else []
    summary = run_json(xent_cli, tmp_path / "lp.npz", *extra)
    check(summary, reference_nll(lp, y, "logprobs"))
    if how == "auto":
        assert any("log-probabilities" in note for note in summary["notes"])


def test_probabilities_told_from_the_rows(xent_cli, tmp_path):
    z, y = logits_and_targets(5)
    p = np.exp(log_softmax64(z))
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "y.npy", y)
    summary = run_json(xent_cli, tmp_path / "p.npy", "--labels-file", tmp_path / "y.npy")
    check(summary, reference_nll(p, y, "probabilities"))


def test_metrics_of_log_probs_and_logits_agree(xent_cli, tmp_path):
    """Brier and accuracy need Q: exp of the log-probabilities, softmax of the logits."""
    z, y = logits_and_targets(6, t=40, v=30)
    np.savez(tmp_path / "z.npz", logits=z, labels=y)
    np.savez(tmp_path / "lp.npz", log_probs=log_softmax64(z), labels=y)
    a, b = run_json(xent_cli, tmp_path / "z.npz"), run_json(xent_cli, tmp_path / "lp.npz")
    q = np.exp(log_softmax64(z))
    onehot = np.eye(30)[y]
    brier = ((q - onehot) ** 2).sum(axis=1).mean()
    for summary in (a, b):
        assert summary["brier_score"] == pytest.approx(brier, rel=1e-12)
        assert summary["accuracy"] == pytest.approx((q.argmax(axis=1) == y).mean())


def test_chunks_are_blocks_of_rows(tmp_path):
    """Memory is O(block x V): no chunk holds more than a block of rows."""
    z, y = logits_and_targets(7, t=300, v=20_000)
    np.save(tmp_path / "z.npy", z.astype(np.float32))
    np.save(tmp_path / "y.npy", y)
    options = ReadOptions(labels_file=str(tmp_path / "y.npy"))
    sizes = [len(c) for c in read_prediction_chunks(str(tmp_path / "z.npy"), options)]
    assert sum(sizes) == 300
    assert max(sizes) == block_rows(20_000) < 300


# ------------------------------------------------------------------ llama.cpp


def quantise_like_llama(z: np.ndarray) -> np.ndarray:
    """One row of llama.cpp's logits file from logits (perplexity.cpp's log_softmax with
    uint16 output, in float32 as it computes): scale, min log-prob, then n_vocab uint16."""
    z = z.astype(np.float32)
    n_vocab = z.shape[0]
    top = np.float32(z.max())
    low = np.float32(max(z.min(), top - np.float32(16)))
    sum_exp = float(np.exp(z - top).astype(np.float64).sum())
    log_sum_exp = np.float32(np.log(sum_exp))
    min_log_prob = np.float32(np.float32(low - top) - log_sum_exp)
    scale = np.float32((top - low) / np.float32(65535))
    inv = np.float32(1) / scale
    q = np.where(z > low, np.rint(inv * (z - low)).astype(np.float32), 0).astype(np.uint16)
    row = np.zeros(2 * ((n_vocab + 1) // 2) + 4, dtype=np.uint16)
    row[:4] = np.array([scale, min_log_prob], dtype=np.float32).view(np.uint16)
    row[4 : 4 + n_vocab] = q
    return row


def write_llama(path, n_ctx, n_vocab, n_chunk, seed=0):
    """A llama.cpp logits file and what it holds: the decoded log-probabilities (float64,
    scale * q + min) and each scored row's target token."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, n_vocab, n_chunk * n_ctx).astype(np.int32)
    first = n_ctx // 2
    rows, targets = [], []
    for c in range(n_chunk):
        for j in range(first, n_ctx - 1):
            rows.append(quantise_like_llama(rng.standard_normal(n_vocab) * 3))
            targets.append(tokens[c * n_ctx + j + 1])
    data = np.array(rows)
    head = b"_logits_" + struct.pack("<iii", n_ctx, n_vocab, n_chunk)
    path.write_bytes(head + tokens.tobytes() + data.tobytes())
    floats = np.ascontiguousarray(data[:, :4]).view(np.float32).astype(np.float64)
    decoded = floats[:, :1] * data[:, 4 : 4 + n_vocab] + floats[:, 1:2]
    return decoded, np.array(targets)


def test_llama_logits_file(xent_cli, tmp_path):
    path = tmp_path / "base.kld"
    decoded, targets = write_llama(path, n_ctx=16, n_vocab=301, n_chunk=3)
    assert len(targets) == 3 * 7  # the second half of each context, less its last token
    chunks = list(read_prediction_chunks(str(path)))
    values = np.concatenate([c.values for c in chunks])
    np.testing.assert_array_equal(values, decoded)
    np.testing.assert_array_equal(np.concatenate([c.labels for c in chunks]), targets)
    summary = run_json(xent_cli, path)
    nll = -decoded[np.arange(len(targets)), targets]
    check(summary, nll)
    assert any("llama.cpp logits" in note for note in summary["notes"])


def test_llama_decoding_is_close_to_the_log_softmax(tmp_path):
    """Decoded values are the log-softmax within half a quantisation step, above the floor."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal(500) * 3
    row = quantise_like_llama(z)
    scale, floor = (float(v) for v in row[:4].view(np.float32))
    decoded = scale * row[4:504] + floor
    exact = log_softmax64(z.astype(np.float32)[None])[0]
    above = exact > floor + scale
    assert np.abs(decoded - exact)[above].max() < scale / 2 + 1e-5


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda b: b"_LOGITS_" + b[8:], "not a llama.cpp logits file"),
        (lambda b: b[:-3], "truncated llama.cpp logits file"),
        (lambda b: b[:15], "truncated llama.cpp logits file"),
    ],
)
def test_llama_bad_files(xent_cli, tmp_path, damage, says):
    path = tmp_path / "base.kld"
    write_llama(path, n_ctx=8, n_vocab=11, n_chunk=2)
    path.write_bytes(damage(path.read_bytes()))
    result = xent_cli("compute", "--file", path, "--input-format", "llama")
    assert result.exit_code != 0
    assert says in result.stderr and str(path) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------ bad input


def bad(xent_cli, *args) -> str:
    result = xent_cli("compute", "--file", *args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_bad_arrays(xent_cli, tmp_path):
    z, y = logits_and_targets(8, t=20, v=50)
    f = tmp_path / "f.npz"

    np.savez(f, logits=z, labels=y[:-1])
    assert "20 rows but labels has 19" in bad(xent_cli, f)

    np.savez(f, logits=z, labels=np.where(np.arange(20) == 4, 50, y))
    line = bad(xent_cli, f)
    assert str(f) in line and "row 5" in line and "'50'" in line

    for value in (np.nan, np.inf, -np.inf):
        broken = z.copy()
        broken[3, 7] = value
        np.savez(f, logits=broken, labels=y)
        line = bad(xent_cli, f)
        assert str(f) in line and "row 4" in line and "finite" in line

    lp = log_softmax64(z)
    lp[2, 1] = 0.25
    np.savez(f, log_probs=lp, labels=y)
    line = bad(xent_cli, f)
    assert str(f) in line and "row 3" in line and "above 0" in line

    lp = log_softmax64(z) - 0.1  # sums to e^-0.1
    np.savez(f, log_probs=lp, labels=y)
    assert "sum to 0.904837418" in bad(xent_cli, f)


def test_labels_both_neither_and_shapes(xent_cli, tmp_path):
    z, y = logits_and_targets(9, t=20, v=50)
    np.save(tmp_path / "y.npy", y)
    np.savez(tmp_path / "both.npz", logits=z, labels=y)
    line = bad(xent_cli, tmp_path / "both.npz", "--labels-file", tmp_path / "y.npy")
    assert "both in" in line and "give one" in line

    write_safetensors(tmp_path / "none.safetensors", {"logits": ("F64", z)})
    line = bad(xent_cli, tmp_path / "none.safetensors")
    assert "no tensor of target tokens" in line and "--labels-file" in line

    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "short.npy", y[:5])
    line = bad(xent_cli, tmp_path / "z.npy", "--labels-file", tmp_path / "short.npy")
    assert "20 rows but" in line and "5" in line

    np.save(tmp_path / "float.npy", y.astype(float))
    line = bad(xent_cli, tmp_path / "z.npy", "--labels-file", tmp_path / "float.npy")
    assert "expected one integer token per row" in line

    path = tmp_path / "cut.safetensors"
    write_safetensors(path, {"logits": ("F64", z), "labels": ("I64", y)})
    path.write_bytes(path.read_bytes()[:-8])
    assert "truncated or damaged" in bad(xent_cli, path)


def test_holds_is_checked():
    from xent.errors import UsageError

    with pytest.raises(UsageError, match="not what a file can hold"):
        ReadOptions(holds="logit")


def test_the_example_file(xent_cli):
    """examples/lm-logits.safetensors, read here with the format's own layout."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "lm-logits.safetensors"
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    data = raw[8 + length :]

    def tensor(name, dtype):
        begin, end = header[name]["data_offsets"]
        return np.frombuffer(data[begin:end], dtype).reshape(header[name]["shape"])

    z, y = tensor("logits", "<f4"), tensor("labels", "<i8")
    assert z.shape == (64, 50)
    check(run_json(xent_cli, path), reference_nll(z, y))


def test_vocabulary_logits_at_the_labels_match_the_log_softmax():
    """The at-label path for V >= 1,024 against the engine's full log-softmax and float64
    NumPy: float32 logits (the shift is exact), and float64 logits 1e-20 to 1e3 apart
    (it is rounded: within 1e-14 still)."""
    from xent import engine
    from xent.engine import VOCABULARY, neg_log_softmax_at_labels

    rng = np.random.default_rng(11)
    for z in (
        (rng.standard_normal((40, VOCABULARY + 5)) * 5).astype(np.float32).astype(np.float64),
        rng.standard_normal((40, VOCABULARY + 5)) * 10.0 ** rng.integers(-20, 3, (40, 1)),
    ):
        y = rng.integers(0, z.shape[1], len(z))
        got = neg_log_softmax_at_labels(z, y)
        full = -engine.log_softmax(z)[np.arange(len(y)), y]
        np.testing.assert_allclose(got, full, rtol=1e-14, atol=1e-14)
        if (z.astype(np.float32) == z).all():  # float32 chunks (as read) give the same bits
            narrow = neg_log_softmax_at_labels(z.astype(np.float32), y)
            np.testing.assert_array_equal(narrow, got)
        np.testing.assert_allclose(got, reference_nll(z, y), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "-i", "examples/lm-logits.safetensors", "--renormalize"],
        ["compute", "-i", "examples/chat-logprobs.jsonl", "--renormalize"],
        ["compute", "--labels", "0", "--pred", "1,2,3", "--from-logits", "--renormalize"],
        ["compute", "-i", "examples/animals.csv", "--from-logits", "--renormalize"],
    ],
)
def test_renormalize_is_refused_for_logits_and_log_probs(xent_cli, args, monkeypatch):
    # it was silently ignored: the softmax normalises logits and log-probs already
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    result = xent_cli(*args)
    assert result.exit_code == 2
    assert "there is nothing to renormalise" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and not result.stdout
