"""``xent entropy``, ``kl`` and ``js`` of files (rows of distributions), and
``--renormalize`` of counts, against SciPy."""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy

from xent.options import ScoreOptions
from xent.pipeline import score_distribution_chunks
from xent.readers.files import read_prediction_chunks
from xent.readers.read_options import ReadOptions
from xent.totals import RowTotals

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ["dog", "fox", "horse"]


def _rows(n=40, seed=7):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(3), size=n)
    q = rng.dirichlet(np.ones(3), size=n)
    p[0] = [1.0, 0.0, 0.0]  # a zero term: 0 · log 0 = 0
    return p, q


def _write(tmp_path, p, q, kind):
    header = [f"p_{c}" for c in CLASSES] + [f"q_{c}" for c in CLASSES]
    if kind == "csv":
        path = tmp_path / "pq.csv"
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows([[repr(float(v)) for v in (*a, *b)] for a, b in zip(p, q)])
    else:
        path = tmp_path / "pq.jsonl"
        with path.open("w") as f:
            for a, b in zip(p, q):
                f.write(json.dumps(dict(zip(header, [*a.tolist(), *b.tolist()]))) + "\n")
    return str(path)


def _references(kind, p, q, base=math.e):
    if kind == "kl":
        terms = rel_entr(p, q) / math.log(base)
        return terms.sum(axis=1), terms
    values = np.array([jensenshannon(a, b, base=base) ** 2 for a, b in zip(p, q)])
    m = (p + q) / 2
    terms = 0.5 * (rel_entr(p, m) + rel_entr(q, m)) / math.log(base)
    return values, terms


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("kind", ["kl", "js"])
def test_divergence_per_row_and_summary_match_scipy(xent_cli, tmp_path, fmt, kind):
    p, q = _rows()
    path = _write(tmp_path, p, q, fmt)
    want, terms = _references(kind, p, q, base=2)
    key = {"kl": "kl_divergence", "js": "js_divergence"}[kind]

    result = xent_cli(kind, "--file", path, "-r", "none", "-f", "csv", "-b", "2")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"row,{key},line"
    got = [float(line.split(",")[1]) for line in lines[1:]]
    assert got == pytest.approx(want.tolist(), rel=1e-12, abs=1e-15)
    first_line = 2 if fmt == "csv" else 1
    assert [int(line.split(",")[2]) for line in lines[1:]] == list(
        range(first_line, first_line + len(p))
    )

    plain = xent_cli(kind, "-i", path, "-r", "none", "-f", "plain", "-b", "2").stdout
    assert [float(x) for x in plain.split()] == got
    jsonl = xent_cli(kind, "-i", path, "-r", "none", "-f", "json", "-b", "2").stdout
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert [r[key] for r in records] == got and records[0]["row"] == 1

    data = json.loads(xent_cli(kind, "-i", path, "-f", "json", "-b", "2").stdout)
    assert data["rows"] == len(p) and data["unit"] == "bits"
    assert data[key] == data["mean"] == pytest.approx(want.mean(), rel=1e-12)
    assert data["sum"] == pytest.approx(want.sum(), rel=1e-12)
    assert data["std"] == pytest.approx(want.std(), rel=1e-9)
    assert data["min"] == pytest.approx(want.min(), abs=1e-15)
    assert data["max"] == pytest.approx(want.max(), rel=1e-12)
    assert data["classes"] == CLASSES
    means = [c["mean_contribution"] for c in data["per_class"]]
    assert means == pytest.approx(terms.mean(axis=0).tolist(), rel=1e-12, abs=1e-15)
    if kind == "js":
        assert data["js_distance"] == pytest.approx(math.sqrt(want.mean()), rel=1e-12)
    total = xent_cli(kind, "-i", path, "-r", "sum", "-f", "plain", "-b", "2").stdout
    assert float(total) == pytest.approx(want.sum(), rel=1e-12)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_entropy_of_a_file_matches_scipy(xent_cli, tmp_path, fmt):
    p, _ = _rows()
    if fmt == "csv":
        path = tmp_path / "d.csv"
        path.write_text(
            "id,dog,fox,horse\n"
            + "".join(f"{i},{','.join(map(repr, row.tolist()))}\n" for i, row in enumerate(p))
        )
    else:
        path = tmp_path / "d.jsonl"
        path.write_text(
            "".join(
                json.dumps({"id": i, **dict(zip(CLASSES, row.tolist()))}) + "\n"
                for i, row in enumerate(p)
            )
        )
    want = scipy_entropy(p, axis=1)
    out = xent_cli("entropy", "-i", path, "--ignore-columns", "id", "-r", "none", "-f", "plain")
    assert out.exit_code == 0, out.stderr
    assert [float(x) for x in out.stdout.split()] == pytest.approx(want.tolist(), rel=1e-12)
    data = json.loads(
        xent_cli("entropy", "-i", path, "--ignore-columns", "id", "-f", "json").stdout
    )
    assert data["entropy"] == pytest.approx(want.mean(), rel=1e-12)
    assert (data["rows"], data["classes"]) == (len(p), CLASSES)
    terms = -(p * np.log(np.where(p > 0, p, 1.0)))
    means = [c["mean_contribution"] for c in data["per_class"]]
    assert means == pytest.approx(terms.mean(axis=0).tolist(), rel=1e-12)


def test_entropy_of_logit_rows_and_of_counts(xent_cli, tmp_path):
    z = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])
    path = tmp_path / "z.csv"
    path.write_text("a,b,c\n" + "".join(",".join(map(repr, r.tolist())) + "\n" for r in z))
    out = xent_cli("entropy", "-i", path, "--from-logits", "-r", "none", "-f", "plain").stdout
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert [float(x) for x in out.split()] == pytest.approx(
        scipy_entropy(softmax, axis=1).tolist(), rel=1e-12
    )
    counts = tmp_path / "counts.csv"
    counts.write_text("a,b,c\n10,20,30\n1,0,3\n")
    out = xent_cli("entropy", "-i", counts, "--renormalize", "-r", "none", "-f", "plain").stdout
    assert [float(x) for x in out.split()] == pytest.approx(
        [scipy_entropy([10, 20, 30]), scipy_entropy([1, 0, 3])], rel=1e-14
    )


def test_renormalize_takes_counts_as_scipy_does(xent_cli):
    result = xent_cli("entropy", "--pred", "10,20,30", "--renormalize")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(scipy_entropy([10, 20, 30]), rel=1e-14)
    kl = xent_cli("kl", "--p", "1,2,3", "--q", "30,20,10", "--renormalize").stdout
    assert float(kl) == pytest.approx(scipy_entropy([1, 2, 3], [30, 20, 10]), rel=1e-14)
    js = xent_cli("js", "--p", "1,2,3", "--q", "30,20,10", "--renormalize", "-b", "2").stdout
    assert float(js) == pytest.approx(jensenshannon([1, 2, 3], [30, 20, 10], base=2) ** 2)
    ce = xent_cli("compute", "-l", "2", "--pred", "10,20,30", "--renormalize").stdout
    assert float(ce) == pytest.approx(-math.log(0.5), rel=1e-15)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["entropy", "--pred", "10,-20,30", "--renormalize"],
            "xent: --pred: prediction value 2 is -20, negative: [10, -20, 30]",
        ),
        (
            ["entropy", "--pred", "10,nan,30", "--renormalize"],
            "xent: --pred: prediction value 2 is nan, not a finite number: [10, nan, 30]",
        ),
        (
            ["entropy", "--pred", "0,0,0", "--renormalize"],
            "xent: --pred: prediction is all zeros: cannot renormalize",
        ),
        (
            ["compute", "-l", "0", "--pred", "1,inf", "--renormalize"],
            "xent: --pred: prediction value 2 is inf, not a finite number: [1, inf]",
        ),
        (
            ["kl", "--p", "1,2", "--q", "3,-4", "--renormalize"],
            "xent: --q: q value 2 is -4, negative: [3, -4]",
        ),
        (
            # Without --renormalize, counts are refused, and --renormalize is suggested.
            ["entropy", "--pred", "10,20,30"],
            "xent: --pred: prediction value 1 is 10, outside [0, 1]: [10, 20, 30] "
            "(--renormalize divides by the sum)",
        ),
    ],
)
def test_values_renormalize_cannot_fix(xent_cli, args, message):
    result = xent_cli(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n")


def test_file_errors_name_file_and_line(xent_cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("p_dog,p_fox,q_dog,q_fox\n0.5,0.5,0.4,0.6\n0.5,0.6,0.4,0.6\n0.5,0.5,-1,2\n")
    result = xent_cli("kl", "-i", bad)
    assert result.exit_code == 1
    assert result.stderr == f"xent: {bad}:3: p sums to 1.1, not 1 (tolerance 2e-06): [0.5, 0.6]\n"
    result = xent_cli("js", "-i", bad, "--renormalize")
    assert result.stderr == f"xent: {bad}:4: q value 1 is -1, negative: [-1, 2]\n"
    result = xent_cli("kl", "-i", bad, "--on-error", "skip", "-r", "none", "-f", "csv")
    assert result.exit_code == 0
    assert result.stdout == "row,kl_divergence,line\n1,0.020410997260127572,2\n"
    assert result.stderr == f"xent: {bad}: skipped 2 bad rows (lines 3, 4)\n"
    text = tmp_path / "text.csv"
    text.write_text("p_dog,p_fox,q_dog,q_fox\n0.5,0.5,0.4,abc\n")
    assert xent_cli("kl", "-i", text).stderr == f"xent: {text}:2:4: 'abc' is not a number\n"
    dist = tmp_path / "d.csv"
    dist.write_text("a,b\n0.5,0.5\n1,1\n")
    result = xent_cli("entropy", "-i", dist)
    assert result.stderr == (
        f"xent: {dist}:3: prediction sums to 2, not 1 (tolerance 2e-06): [1, 1] "
        "(--renormalize divides by the sum)\n"
    )


def test_column_groups(xent_cli, tmp_path):
    path = tmp_path / "pq.csv"
    path.write_text("id,a,b,x,y\n1,0.5,0.5,0.4,0.6\n")
    want = rel_entr([0.5, 0.5], [0.4, 0.6]).sum()
    result = xent_cli("kl", "-i", path, "--p-columns", "a,b", "--q-columns", "x,y", "-f", "json")
    data = json.loads(result.stdout)
    assert data["kl_divergence"] == pytest.approx(want, rel=1e-15)
    assert data["classes"] == ["a", "b"]
    renamed = xent_cli("kl", "-i", path, "--p-columns", "a,b", "--q-columns", "x,y", "-c", "u,v")
    assert float(renamed.stdout) == data["kl_divergence"]
    # Q's columns follow P's class order, whatever their order in the file.
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("p_dog,p_fox,q_fox,q_dog\n0.5,0.5,0.6,0.4\n")
    assert float(xent_cli("kl", "-i", swapped).stdout) == pytest.approx(want, rel=1e-15)

    usage = [
        (
            ["-i", path, "--p-columns", "a,b", "--q-columns", "x"],
            "xent: --q-columns: --p-columns has 2 columns (a, b) but --q-columns has 1 (x): "
            "one per class, in the same order",
        ),
        (
            ["-i", path, "--p-columns", "a,b", "--q-columns", "x,z"],
            "xent: --q-columns: no 'z' column (columns: id, a, b, x, y)",
        ),
        (
            ["-i", path, "--p-columns", "a,b"],
            "xent: --q-columns: --p-columns needs --q-columns too: name both groups",
        ),
        (
            ["-i", swapped, "-c", "one"],
            "xent: --classes: 1 class names given, but P and Q have 2 columns each (dog, fox)",
        ),
    ]
    mismatched = tmp_path / "mismatched.csv"
    mismatched.write_text("p_dog,p_fox,q_dog,q_cat\n1,0,1,0\n")
    usage.append(
        (
            ["-i", mismatched],
            f"xent: {mismatched}: the P columns (p_dog, p_fox) and the Q columns (q_dog, "
            "q_cat) must name the same classes: p_<class> and q_<class> for each class",
        )
    )
    usage.append(
        (
            ["-i", path],
            f"xent: {path}: column 'id' is neither p_<class> nor q_<class>: name the groups "
            "with --p-columns and --q-columns, or leave it out with --ignore-columns",
        )
    )
    usage.append((["-i", path, "--p", "0.5,0.5"], "xent: give a file or vectors, not both"))
    for args, message in usage:
        result = xent_cli("js", *args)
        assert (result.exit_code, result.stderr) == (2, message + "\n"), args


def test_piped_stdin_is_read(xent_cli):
    text = (ROOT / "examples" / "distributions.csv").read_text()
    result = xent_cli("kl", "-r", "none", "-f", "plain", input=text)
    assert result.stdout.split() == ["0.916290731874155", "0.34657359027997264", "0.0"]
    dashed = xent_cli("js", "--file", "-", input=text, env=None)
    assert dashed.exit_code == 0, dashed.stderr


def test_example_file(xent_cli):
    path = ROOT / "examples" / "distributions.csv"
    p = np.array([[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]])
    q = np.array([[0.4, 0.3, 0.3], [0.5, 0.25, 0.25], [0.2, 0.3, 0.5]])
    kl = xent_cli("kl", "-i", path, "-r", "none", "-f", "plain").stdout
    assert [float(x) for x in kl.split()] == pytest.approx(
        rel_entr(p, q).sum(axis=1).tolist(), rel=1e-15
    )
    assert float(xent_cli("kl", "-i", path).stdout) == pytest.approx(
        rel_entr(p, q).sum(axis=1).mean(), rel=1e-15
    )
    js = xent_cli("js", "-i", path, "-b", "2").stdout
    want = np.mean([jensenshannon(a, b, base=2) ** 2 for a, b in zip(p, q)])
    assert float(js) == pytest.approx(want, rel=1e-14)
    table = xent_cli("js", "-i", path, "-f", "table").stdout
    assert "JS(P,Q)" in table and "horse" in table
    summary = xent_cli("kl", "-i", path, "-f", "csv").stdout.splitlines()
    assert summary[0] == "class,rows,mean,sum,std,min,max,unit"
    assert summary[-1].startswith("(all),3,0.42095477405137")


def test_row_totals_merge_is_one_pass():
    values = np.array([0.5, 1.5, 0.25, 4.0, 0.0])
    terms = np.column_stack([values / 2, values / 2])
    whole = RowTotals(["a", "b"])
    whole.add(values, terms)
    left, right = RowTotals(["a", "b"]), RowTotals(["a", "b"])
    left.add(values[:2], terms[:2])
    right.add(values[2:], terms[2:])
    merged = left.merge(right)
    assert (merged.rows, merged.min, merged.max) == (5, 0.0, 4.0)
    assert merged.total.value == whole.total.value == values.sum()
    assert merged.std == pytest.approx(values.std(), rel=1e-15)
    assert merged.class_terms.tolist() == whole.class_terms.tolist()


def test_chunks_of_a_file_in_the_python_api(tmp_path):
    p, q = _rows(10)
    path = _write(tmp_path, p, q, "csv")
    chunks = read_prediction_chunks(path, ReadOptions(label_column=None))
    totals, numbered = score_distribution_chunks(chunks, "kl", ScoreOptions(), source=path)
    assert numbered == "line" and totals.classes == CLASSES
    assert totals.mean == pytest.approx(rel_entr(p, q).sum(axis=1).mean(), rel=1e-12)


def test_exact_sum_keeps_an_infinite_sum_infinite():
    from xent.totals import ExactSum

    total = ExactSum()
    for x in (1.0, math.inf, 0.0, 2.5, math.inf):
        total.add(x)
    assert total.value == math.inf
    total.add(-math.inf)
    assert math.isnan(total.value)


def test_an_infinite_kl_over_several_chunks_stays_infinite():
    chunks = []
    for _ in range(3):
        from xent.readers.chunks import PredictionChunk

        chunks.append(
            PredictionChunk(
                classes=["p_a", "p_b", "q_a", "q_b"],
                values=np.array([[1.0, 0.0, 0.0, 1.0], [0.5, 0.5, 0.5, 0.5]]),
                lines=np.array([2, 3]),
            )
        )
    totals, _ = score_distribution_chunks(chunks, "kl", ScoreOptions(), source="x.csv")
    assert (totals.rows, totals.infinite, totals.mean) == (6, 3, math.inf)


@pytest.mark.parametrize("kind", ["entropy", "kl"])
def test_the_progress_bar_of_a_distribution_file_knows_its_size(
    tmp_path, xent_cli, monkeypatch, kind
):
    """The bar on a terminal's stderr is sized by the file (not by the letters of its
    name), as for ``xent compute --file``."""
    import rich.progress

    from xent.cli import files
    from xent.cli.app import Terminal

    totals = []

    class Progress:
        def __init__(self, *columns, **options):
            pass

        def start(self):
            pass

        def stop(self):
            pass

        def add_task(self, description, total=None):
            totals.append(total)
            return 0

        def update(self, task, completed):
            pass

    monkeypatch.setattr(Terminal, "detect", classmethod(lambda cls: cls(False, False, True)))
    monkeypatch.setattr(files, "PROGRESS_BYTES", 1)
    monkeypatch.setattr(rich.progress, "Progress", Progress)
    p, q = _rows()
    path = _write(tmp_path, p, q, "csv")
    extra = ["--renormalize"] if kind == "entropy" else []  # p and q: one row of 6 classes
    result = xent_cli(kind, "-i", path, *extra, "-f", "json")
    assert result.exit_code == 0, result.output
    assert totals == [Path(path).stat().st_size]
