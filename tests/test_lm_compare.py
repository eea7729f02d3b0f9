"""Two language models, token by token (issue 22, item 2): ``xent compare BASE OTHER`` of
two array files gives what llama.cpp's ``--kl-divergence`` summary gives. Every number
against NumPy float64 written out here: KL(A‖B) = Σ p_A (log p_A − log p_B) per token, its
mean ± s/√n (s the sample standard deviation), Δp = p_B(t) − p_A(t), the percentiles
(numpy.percentile, linear), the perplexities, their log ratio with the covariance, and the
correlation of the per-token log-probabilities."""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest

from test_lm_sources import log_softmax64, quantise_like_llama, write_llama
from xent.accumulators.quantiles import FRACTIONS, Quantiles
from xent.accumulators.token_base import TokenSettings
from xent.compare import compare_files
from xent.readers.read_options import ReadOptions

T, V = 300, 40


def two_models(tmp_path, t=T, v=V, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    za = rng.standard_normal((t, v)) * 3
    zb = za + rng.standard_normal((t, v)) * 0.5
    y = rng.integers(0, v, t)
    za, zb = za.astype(dtype), zb.astype(dtype)
    np.savez(tmp_path / "a.npz", logits=za, labels=y)
    np.savez(tmp_path / "b.npz", logits=zb, labels=y)
    return log_softmax64(za), log_softmax64(zb), y


def reference(la, lb, y):
    """Everything the summary gives, in NumPy float64."""
    n = len(y)
    rows = np.arange(n)
    kl = (np.exp(la) * (la - lb)).sum(axis=1)
    kl = np.maximum(kl, 0.0)
    dp = np.exp(lb[rows, y]) - np.exp(la[rows, y])
    nll_a, nll_b = -la[rows, y], -lb[rows, y]
    se = lambda x: x.std(ddof=1) / math.sqrt(n)  # noqa: E731
    cov = np.cov(nll_a, nll_b, ddof=1)[0, 1] / n
    same = (la.argmax(axis=1) == lb.argmax(axis=1)).mean()
    mse = dp**2
    return {
        "kl": kl,
        "dp": dp,
        "kl_mean": kl.mean(),
        "kl_se": se(kl),
        "dp_mean": dp.mean(),
        "dp_se": se(dp),
        "rms": math.sqrt(mse.mean()),
        "rms_se": se(mse) / (2 * math.sqrt(mse.mean())),
        "ppl_a": math.exp(nll_a.mean()),
        "ppl_a_se": math.exp(nll_a.mean()) * se(nll_a),
        "ppl_b": math.exp(nll_b.mean()),
        "ppl_b_se": math.exp(nll_b.mean()) * se(nll_b),
        "cor": np.corrcoef(nll_a, nll_b)[0, 1],
        "log_ratio": nll_b.mean() - nll_a.mean(),
        "log_ratio_se": math.sqrt(se(nll_a) ** 2 + se(nll_b) ** 2 - 2 * cov),
        "top1": same,
        "top1_se": math.sqrt(same * (1 - same) / (n - 1)),
    }


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-15)


def compare_json(xent_cli, *args):
    result = xent_cli("compare", *map(str, args), "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def check_tokens(tokens, ref, n):
    assert tokens["count"] == n
    kl, dp, ppl = tokens["kl"], tokens["delta_p"], tokens["perplexity"]
    assert kl["value"] == approx(ref["kl_mean"])
    assert kl["standard_error"] == approx(ref["kl_se"])
    assert kl["max"] == approx(ref["kl"].max()) and kl["min"] == approx(ref["kl"].min())
    for name, value in kl["percentiles"].items():
        assert value == approx(np.percentile(ref["kl"], float(name)))
    assert dp["value"] == approx(ref["dp_mean"])
    assert dp["standard_error"] == approx(ref["dp_se"])
    assert dp["rms"]["value"] == approx(ref["rms"])
    assert dp["rms"]["standard_error"] == approx(ref["rms_se"])
    for name, value in dp["percentiles"].items():
        assert value == approx(np.percentile(ref["dp"], float(name)))
    assert ppl["a"]["value"] == approx(ref["ppl_a"])
    assert ppl["a"]["standard_error"] == approx(ref["ppl_a_se"])
    assert ppl["b"]["value"] == approx(ref["ppl_b"])
    assert ppl["b"]["standard_error"] == approx(ref["ppl_b_se"])
    assert ppl["correlation"] == approx(ref["cor"])
    assert ppl["log_ratio"]["value"] == approx(ref["log_ratio"])
    assert ppl["log_ratio"]["standard_error"] == approx(ref["log_ratio_se"])
    assert ppl["ratio"]["value"] == approx(math.exp(ref["log_ratio"]))
    assert tokens["top1"]["value"] == approx(ref["top1"])
    assert tokens["top1"]["standard_error"] == approx(ref["top1_se"])
    assert tokens["percentiles"]["method"] == "exact"


def test_every_number_against_numpy(xent_cli, tmp_path):
    la, lb, y = two_models(tmp_path)
    data = compare_json(xent_cli, tmp_path / "a.npz", tmp_path / "b.npz")
    ref = reference(la, lb, y)
    check_tokens(data["tokens"], ref, T)
    # What compare already gave: the paired difference is ln(PPL(B)/PPL(A)).
    assert data["difference"] == approx(ref["log_ratio"])


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_narrow_logits_are_widened(xent_cli, tmp_path, dtype):
    la, lb, y = two_models(tmp_path, seed=1, dtype=dtype)
    data = compare_json(xent_cli, tmp_path / "a.npz", tmp_path / "b.npz")
    check_tokens(data["tokens"], reference(la, lb, y), T)


def test_npy_with_a_labels_file_and_log_probs(xent_cli, tmp_path):
    la, lb, y = two_models(tmp_path, seed=2)
    np.save(tmp_path / "a.npy", la)
    np.save(tmp_path / "b.npy", lb)
    np.save(tmp_path / "y.npy", y)
    args = [tmp_path / "a.npy", tmp_path / "b.npy", "--labels-file", tmp_path / "y.npy"]
    data = compare_json(xent_cli, *args, "--holds", "logprobs")
    check_tokens(data["tokens"], reference(la, lb, y), T)


def other_llama(path_from, path_to, seed):
    """A llama.cpp logits file of the same tokens as ``path_from``, other rows; and its
    decoded log-probabilities."""
    data = path_from.read_bytes()
    n_ctx, n_vocab, n_chunk = struct.unpack("<iii", data[8:20])
    rows = (n_ctx - 1 - n_ctx // 2) * n_chunk
    rng = np.random.default_rng(seed)
    new = np.array([quantise_like_llama(rng.standard_normal(n_vocab) * 3) for _ in range(rows)])
    path_to.write_bytes(data[: 20 + 4 * n_ctx * n_chunk] + new.tobytes())
    floats = np.ascontiguousarray(new[:, :4]).view(np.float32).astype(np.float64)
    return floats[:, :1] * new[:, 4 : 4 + n_vocab] + floats[:, 1:2]


def test_llama_files(xent_cli, tmp_path):
    """Two llama.cpp logits files of the same tokens: the decoded log-probabilities as they
    are (llama.cpp's base values are not renormalised either)."""
    la, y = write_llama(tmp_path / "a.kld", n_ctx=16, n_vocab=301, n_chunk=3, seed=4)
    lb = other_llama(tmp_path / "a.kld", tmp_path / "b.kld", seed=5)
    data = compare_json(xent_cli, tmp_path / "a.kld", tmp_path / "b.kld")
    check_tokens(data["tokens"], reference(la, lb, y), len(y))
    same = compare_json(xent_cli, tmp_path / "a.kld", tmp_path / "a.kld")["tokens"]
    assert same["kl"]["value"] == 0.0 and same["top1"]["value"] == 1.0


def test_only_the_statistics_asked_for(xent_cli, tmp_path):
    two_models(tmp_path, seed=3)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    data = compare_json(xent_cli, a, b, "--token-stats", "top1,delta_p")
    assert set(data["tokens"]) == {"count", "top1", "delta_p", "percentiles"}
    assert "tokens" not in compare_json(xent_cli, a, b, "--token-stats", "none")
    bad = xent_cli("compare", str(a), str(b), "--token-stats", "kld")
    assert bad.exit_code == 2 and "'kld' is not a token statistic" in bad.stderr


def test_a_vocabulary_comparison_is_small(xent_cli, tmp_path):
    two_models(tmp_path, t=40, v=5000, seed=5, dtype=np.float32)
    data = compare_json(xent_cli, tmp_path / "a.npz", tmp_path / "b.npz")
    assert len(json.dumps(data)) < 12_000 and data["classes_left_out"] == 5000 - 20


# ------------------------------------------------------------------ percentiles


def test_exact_percentiles_are_numpy_linear():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1001) ** 3
    q = Quantiles(exact_limit=2000, k=64)
    for start in range(0, 1001, 97):
        q.add(x[start : start + 97], start)
    result = q.finish()
    assert result.exact and result.rank_error == 0
    for f in FRACTIONS:
        assert result.values[f] == np.quantile(x, f) == pytest.approx(np.percentile(x, 100 * f))


@pytest.mark.parametrize(("n", "k"), [(5000, 16), (20_000, 64), (3000, 2)])
def test_the_sketch_keeps_its_rank_bound(n, k):
    """Each percentile of the sketch lies between the exact order statistics of ranks
    ⌊f(n − 1)⌋ ∓ E, E the bound it states (and E ≤ n·levels/(2k))."""
    rng = np.random.default_rng(n)
    x = rng.exponential(size=n)
    q = Quantiles(exact_limit=100, k=k)
    for start in range(0, n, 333):
        q.add(x[start : start + 333], start)
    result = q.finish()
    assert not result.exact
    s, e = np.sort(x), result.rank_error
    levels = max(h for h, _ in q.nodes) if q.nodes else 0
    assert e <= n * levels / (2 * k)
    for f, value in result.values.items():
        t = math.floor(f * (n - 1))
        assert s[max(0, t - e)] <= value <= s[min(n - 1, t + e)]
    assert result.values[0.0] == s[0] and result.values[1.0] == s[-1]


def test_the_sketch_in_a_comparison_says_so(tmp_path):
    la, lb, y = two_models(tmp_path, t=500, seed=6)
    c = compare_files(
        str(tmp_path / "a.npz"),
        str(tmp_path / "b.npz"),
        read=ReadOptions(),
        token_settings=TokenSettings(exact_limit=100, sketch_k=16),
    )
    kl = c.tokens.results["kl"].percentiles
    assert not kl.exact and kl.rank_error > 0
    ref = np.sort(reference(la, lb, y)["kl"])
    for f, value in kl.values.items():
        t = math.floor(f * (len(y) - 1))
        assert ref[max(0, t - kl.rank_error)] <= value <= ref[min(len(y) - 1, t + kl.rank_error)]
    assert any("quantile sketch" in note and "ranks" in note for note in c.notes)


# ------------------------------------------------------------------ bad input


def one_line(xent_cli, *args) -> str:
    result = xent_cli("compare", *map(str, args))
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_bad_pairs(xent_cli, tmp_path):
    rng = np.random.default_rng(7)
    z, y = rng.standard_normal((30, 50)), rng.integers(0, 50, 30)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    np.savez(a, logits=z, labels=y)

    np.savez(b, logits=z[:-1], labels=y[:-1])
    line = one_line(xent_cli, a, b)
    assert str(a) in line and "more rows than" in line

    np.savez(b, logits=np.hstack([z, z[:, :1]]), labels=y)
    line = one_line(xent_cli, a, b)
    assert str(b) in line and "50 classes" in line and "51" in line and len(line) < 300

    np.savez(b, logits=z, labels=np.where(np.arange(30) == 6, (y + 1) % 50, y))
    line = one_line(xent_cli, a, b)
    assert str(b) in line and "row 7" in line and "target token" in line

    broken = z.copy()
    broken[4, 2] = np.nan
    np.savez(b, logits=broken, labels=y)
    line = one_line(xent_cli, a, b)
    assert str(b) in line and "row 5" in line and "finite" in line

    lp = log_softmax64(z)
    lp[8, 0] = 0.5
    np.savez(b, log_probs=lp, labels=y)
    line = one_line(xent_cli, a, b)
    assert str(b) in line and "row 9" in line and "above 0" in line


def test_llama_files_of_other_tokens(xent_cli, tmp_path):
    write_llama(tmp_path / "a.kld", n_ctx=8, n_vocab=31, n_chunk=2, seed=1)
    write_llama(tmp_path / "b.kld", n_ctx=8, n_vocab=31, n_chunk=2, seed=2)
    line = one_line(xent_cli, tmp_path / "a.kld", tmp_path / "b.kld")
    assert str(tmp_path / "b.kld") in line and "token 1 (chunk 1)" in line
    # A token of the context (not a target) differs: still not the same text.
    data = bytearray((tmp_path / "a.kld").read_bytes())
    data[20 + 4 * 1] ^= 1  # token 2 of chunk 1: context, before the scored half
    (tmp_path / "c.kld").write_bytes(bytes(data))
    line = one_line(xent_cli, tmp_path / "a.kld", tmp_path / "c.kld")
    assert "token 2 (chunk 1)" in line
    write_llama(tmp_path / "d.kld", n_ctx=8, n_vocab=33, n_chunk=2, seed=1)
    line = one_line(xent_cli, tmp_path / "a.kld", tmp_path / "d.kld")
    assert "(8, 33, 2) here, (8, 31, 2)" in line


# ------------------------------------------------------------------ xent kl of logits


def kl_rows(la, lb):
    return (np.exp(la) * (la - lb)).sum(axis=1)


def js_rows(la, lb):
    lm = np.logaddexp(la, lb) - math.log(2)
    return 0.5 * (np.exp(la) * (la - lm)).sum(axis=1) + 0.5 * (np.exp(lb) * (lb - lm)).sum(axis=1)


@pytest.mark.parametrize("how", ["q-file", "npz", "npz-logprobs", "probabilities"])
def test_kl_of_logits(xent_cli, tmp_path, how):
    rng = np.random.default_rng(8)
    za = rng.standard_normal((60, 30)) * 3
    zb = za + rng.standard_normal((60, 30))
    la, lb = log_softmax64(za), log_softmax64(zb)
    if how == "q-file":
        np.save(tmp_path / "p.npy", za)
        np.save(tmp_path / "q.npy", zb.astype(np.float32))
        lb = log_softmax64(zb.astype(np.float32))
        args = ["-i", tmp_path / "p.npy", "--q-file", tmp_path / "q.npy"]
    elif how == "npz":
        np.savez(tmp_path / "pq.npz", p=za, q=zb)
        args = ["-i", tmp_path / "pq.npz"]
    elif how == "npz-logprobs":
        np.savez(tmp_path / "pq.npz", p=la, q=lb)
        args = ["-i", tmp_path / "pq.npz", "--holds", "logprobs"]
    else:
        np.savez(tmp_path / "pq.npz", p=np.exp(la), q=np.exp(lb))
        args = ["-i", tmp_path / "pq.npz"]
    for kind, rows in (("kl", kl_rows(la, lb)), ("js", js_rows(la, lb))):
        result = xent_cli(kind, *map(str, args), "-f", "json")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["rows"] == 60
        assert data["mean"] == approx(rows.mean())
        assert data["max"] == approx(rows.max()) and data["min"] == approx(rows.min())
        per_row = xent_cli(kind, *map(str, args), "-r", "none", "-f", "csv").stdout.splitlines()
        values = np.array([float(line.split(",")[1]) for line in per_row[1:]])
        np.testing.assert_allclose(values, rows, rtol=1e-9)


def kl_line(xent_cli, *args) -> str:
    result = xent_cli("kl", *map(str, args))
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_kl_of_bad_arrays(xent_cli, tmp_path):
    rng = np.random.default_rng(9)
    z = rng.standard_normal((20, 40))
    p, q = tmp_path / "p.npy", tmp_path / "q.npy"
    np.save(p, z)
    np.save(q, z[:-1])
    line = kl_line(xent_cli, "-i", p, "--q-file", q)
    assert str(q) in line and "rows differ" in line
    np.save(q, z[:, :-1])
    assert "classes differ" in kl_line(xent_cli, "-i", p, "--q-file", q)
    broken = z.copy()
    broken[5, 3] = np.inf
    np.save(q, broken)
    line = kl_line(xent_cli, "-i", p, "--q-file", q)
    assert str(p) in line and "row 6" in line and "Q: logits must be finite" in line
    lp = log_softmax64(z)
    lp[2, 2] = 0.5
    np.savez(tmp_path / "pq.npz", p=lp, q=log_softmax64(z))
    line = kl_line(xent_cli, "-i", tmp_path / "pq.npz", "--holds", "logprobs")
    assert "row 3" in line and "P: log-probability" in line and "above 0" in line
    np.savez(tmp_path / "pq.npz", p=log_softmax64(z), q=z)
    assert "P reads as logprobs" in kl_line(xent_cli, "-i", tmp_path / "pq.npz")
    line = kl_line(xent_cli, "-i", "examples/distributions.csv", "--q-file", q)
    assert "--q-file" in line and "csv" in line


def test_the_example_files(xent_cli):
    """examples/lm-logits.safetensors and lm-quantized.safetensors (make_lm.py: the same
    logits rounded to quarters), and lm-pair.npz holding both as p and q."""
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "examples"
    pair = np.load(examples / "lm-pair.npz")
    za, zb = pair["p"], pair["q"]
    assert np.array_equal(zb, np.round(za * 4) / 4)
    rng = np.random.default_rng(22)  # as make_lm.py draws the targets
    y = rng.integers(0, 50, 64)
    la, lb = log_softmax64(za), log_softmax64(zb)
    a, b = examples / "lm-logits.safetensors", examples / "lm-quantized.safetensors"
    check_tokens(compare_json(xent_cli, a, b)["tokens"], reference(la, lb, y), 64)
    result = xent_cli("kl", "-i", str(examples / "lm-pair.npz"), "-f", "plain")
    assert float(result.stdout) == approx(kl_rows(la, lb).mean())


def test_csv_has_the_token_statistics_in_the_all_row(xent_cli, tmp_path):
    import csv
    import io

    la, lb, y = two_models(tmp_path, seed=10)
    result = xent_cli("compare", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    ref = reference(la, lb, y)
    last = rows[-1]
    assert last["class"] == "(all)" and int(last["tokens"]) == T
    assert float(last["kl"]) == approx(ref["kl_mean"])
    assert float(last["kl_se"]) == approx(ref["kl_se"])
    assert float(last["dp_p50"]) == approx(np.median(ref["dp"]))
    assert float(last["ppl_b"]) == approx(ref["ppl_b"])
    assert float(last["top1"]) == approx(ref["top1"]) and last["percentiles"] == "exact"
    assert all(row["kl"] == "" for row in rows[:-1])


def test_bfloat16_safetensors(xent_cli, tmp_path):
    from test_lm_sources import bfloat16_bits, from_bfloat16, write_safetensors

    rng = np.random.default_rng(11)
    za = rng.standard_normal((50, 20)) * 3
    zb = za + rng.standard_normal((50, 20)) * 0.3
    y = rng.integers(0, 20, 50)
    bits = [bfloat16_bits(z) for z in (za, zb)]
    for name, b in zip("ab", bits):
        write_safetensors(
            tmp_path / f"{name}.safetensors", {"logits": ("BF16", b), "labels": ("I64", y)}
        )
    la, lb = (log_softmax64(from_bfloat16(b)) for b in bits)
    data = compare_json(xent_cli, tmp_path / "a.safetensors", tmp_path / "b.safetensors")
    check_tokens(data["tokens"], reference(la, lb, y), 50)


def test_the_sketch_from_the_command_line(xent_cli, tmp_path):
    """--exact-percentiles 1000 on 40,000 tokens: the default sketch (leaves of 16,384)
    states its rank bound, and every percentile is within it of numpy's order statistics."""
    la, lb, y = two_models(tmp_path, t=40_000, v=6, seed=12)
    args = [tmp_path / "a.npz", tmp_path / "b.npz", "--exact-percentiles", "1000"]
    data = compare_json(xent_cli, *args)
    tokens, ref = data["tokens"], reference(la, lb, y)
    method = tokens["percentiles"]
    assert method["method"] == "sketch" and method["exact_up_to"] == 1000
    e, n = method["rank_error"], len(y)
    assert 0 < e <= n * 2 / (2 * 16_384)  # two levels of nodes at most
    for name, key in (("kl", "kl"), ("delta_p", "dp")):
        s = np.sort(ref[key])
        for f, value in tokens[name]["percentiles"].items():
            t = math.floor(float(f) / 100 * (n - 1))
            assert s[max(0, t - e)] - 1e-15 <= value <= s[min(n - 1, t + e)] + 1e-15
        assert tokens[name]["max"] == approx(s[-1]) and tokens[name]["min"] == approx(s[0])
    assert any("quantile sketch" in note for note in data["notes"])
