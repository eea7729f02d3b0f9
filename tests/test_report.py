"""``xent report``: one self-contained HTML page, checked as text and in a real browser.

The page's numbers are the ones ``xent compute -f json`` prints (and its mean loss is
scikit-learn's log_loss); the loss histogram is NumPy's histogram of the per-row losses
computed here by hand. The browser tests run Debian's headless ``chromium`` when it is
installed (``apt-get install -y chromium``) and are skipped otherwise.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from sklearn.metrics import log_loss

from xent.histogram import RESOLUTION, SPAN, LossHistogram
from xent.render.numbers import number

CLASSES = ["cat", "dog", "<b>eel</b>", "a&b"]


def write_predictions(path, n=400, seed=3):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, len(CLASSES))) * 2
    q = np.exp(z)
    q /= q.sum(axis=1, keepdims=True)
    y = np.array(
        [
            rng.choice(len(CLASSES), p=row)
            for row in np.exp(z * 0.6) / np.exp(z * 0.6).sum(1, keepdims=True)
        ]
    )
    with open(path, "w") as f:
        f.write("label," + ",".join(CLASSES) + "\n")
        for label, row in zip(y, q):
            f.write(CLASSES[label] + "," + ",".join(repr(float(v)) for v in row) + "\n")
    return y, q


class Values(HTMLParser):
    """Every element with a data-value: (data-key, data-value, the text shown), in order;
    and every src/href attribute and tag name seen."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[list] = []
        self.open: list[list] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        self.links += [attrs[a] for a in ("src", "href", "xlink:href") if a in attrs]
        if "data-value" in attrs:
            entry = [attrs.get("data-key"), attrs["data-value"], ""]
            self.values.append(entry)
            self.open.append(entry)
        else:
            self.open.append(None)

    def handle_endtag(self, tag):
        if self.open:
            self.open.pop()

    def handle_data(self, data):
        self.text.append(data)
        for entry in self.open:
            if entry is not None:
                entry[2] += data


def parse(html: str) -> Values:
    parser = Values()
    parser.feed(html)
    return parser


def keyed(values: Values) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for key, value, shown in values.values:
        if key:
            out.setdefault(key, []).append((value, shown.strip()))
    return out


def check_against_json(page: Values, data: dict) -> None:
    """The page shows compute's numbers: exact in data-value, at 4 decimals on screen."""
    found = keyed(page)

    def same(key: str, expected: float, index: int = 0) -> None:
        value, shown = found[key][index]
        assert float(value) == expected, key
        assert shown == number(expected, 4), key

    same("mean", data["mean"])
    for key in ("perplexity", "accuracy", "brier_score", "ece", "mce"):
        same(key, data[key])
    if data["k"] == 1:  # top-1 is the accuracy, ties aside: one of them is shown (issue 24)
        assert "top_k_accuracy" not in found
    else:
        same("top_k_accuracy", data["top_k_accuracy"])
    for key in ("rms_calibration_error", "adaptive_ece", "classwise_ece", "std", "min", "max"):
        same(key, data[key])
    assert int(found["rows"][0][0]) == data["rows"]
    # The per-class table: the class rows follow the cards, in the classes' order.
    assert [v for v, _ in found["mean_cross_entropy"]] == [
        repr(c["mean_cross_entropy"]) for c in data["per_class"]
    ]
    # The cards' accuracy first, then one per class.
    assert [float(v) for v, _ in found["accuracy"][1:]] == [
        c["accuracy"] for c in data["per_class"]
    ]
    assert [float(v) for v, _ in found["cross_entropy"]] == [
        w["cross_entropy"] for w in data["worst"]
    ]


@pytest.fixture
def report(xent_cli, tmp_path):
    y, q = write_predictions(tmp_path / "preds.csv")
    page = tmp_path / "report.html"
    result = xent_cli("report", tmp_path / "preds.csv", "-o", page, "--worst", "5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    computed = xent_cli("compute", "-i", tmp_path / "preds.csv", "-f", "json", "--worst", "5")
    return page, json.loads(computed.stdout), y, q


def test_the_page_shows_computes_numbers(report):
    page, data, y, q = report
    html = page.read_text(encoding="utf-8")
    check_against_json(parse(html), data)
    assert data["mean"] == pytest.approx(log_loss(y, q, labels=range(len(CLASSES))), rel=1e-12)


def test_the_page_is_self_contained_and_escaped(report):
    page, data, _, _ = report
    html = page.read_text(encoding="utf-8")
    parsed = parse(html)
    assert parsed.links == []
    assert not {"script", "link", "img", "iframe", "object"} & parsed.tags
    for fetch in ("http:", "https:", "url(", "@import", "//cdn"):
        assert fetch not in html
    # Class names from the file are text, never markup.
    assert "<b>eel</b>" not in html and "&lt;b&gt;eel&lt;/b&gt;" in html
    assert "a&amp;b" in html and "<b>" not in html
    assert html.count("<svg") == 2  # the reliability diagram and the loss histogram
    assert 'class="accuracy"' in html  # render/reliability.py's bars


def test_the_loss_histogram_is_numpys(tmp_path, xent_cli):
    y, q = write_predictions(tmp_path / "p.csv", n=1000, seed=5)
    losses = -np.log(q[np.arange(len(y)), y])
    whole = LossHistogram()
    whole.add(losses)
    parts = LossHistogram()
    for part in np.array_split(losses, 7):
        one = LossHistogram()
        one.add(part)
        parts.merge(one)
    assert np.array_equal(whole.counts, parts.counts) and whole.rows == 1000
    bars, beyond = whole.coarse()
    edges = [low for low, _, _ in bars] + [bars[-1][1]]
    expected, _ = np.histogram(losses[losses < edges[-1]], bins=edges)
    assert [count for _, _, count in bars] == expected.tolist()
    assert beyond == int((losses >= edges[-1]).sum()) <= math.ceil(0.005 * 1000)
    assert len(bars) <= 32


def test_histogram_edges_overflow_and_infinity():
    h = LossHistogram()
    h.add(np.array([0.0, -0.0, 1 / RESOLUTION, SPAN, math.inf, 1e300]))
    assert h.counts[0] == 2 and h.counts[1] == 1 and h.overflow == 3 and h.rows == 6
    empty, beyond = LossHistogram().coarse()
    assert empty == [] and beyond == 0


def test_report_usage_and_data_errors(xent_cli, tmp_path):
    (tmp_path / "a.csv").write_text("label,x,y\nx,0.5,0.5\n")
    (tmp_path / "b.csv").write_text("label,x,y\ny,0.2,0.8\n")
    result = xent_cli("report", tmp_path / "a.csv", tmp_path / "b.csv", "-o", tmp_path / "r.html")
    assert result.exit_code == 2 and "--worst" in result.stderr
    result = xent_cli(
        "report", tmp_path / "a.csv", tmp_path / "b.csv", "--worst", "0", "-o", tmp_path / "r.html"
    )
    assert result.exit_code == 0, result.stderr
    assert "2 rows" in (tmp_path / "r.html").read_text()
    (tmp_path / "bad.csv").write_text("label,x,y\nx,0.5,0.7\n")
    old = (tmp_path / "r.html").read_text()
    result = xent_cli("report", tmp_path / "bad.csv", "-o", tmp_path / "r.html")
    assert result.exit_code == 1 and "bad.csv:2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "r.html").read_text() == old  # replaced only on success


def test_report_without_probability_metrics(xent_cli, tmp_path):
    (tmp_path / "m.csv").write_text("a,b,x,y\n1,0,0.9,0.2\n0,1,0.3,0.6\n")
    result = xent_cli(
        "report", tmp_path / "m.csv", "--multi-label", "--label-columns", "a,b", "-o", "-"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "No reliability diagram: multi-label rows" in result.stdout


# --------------------------------------------------------------------------- a browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
browser = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium (Debian: apt-get install -y chromium)"
)


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@browser
def test_chromium_draws_the_page(report, tmp_path):
    page, data, _, _ = report
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri())
    assert shot.exists(), done.stderr
    assert png_size(shot) == (1200, 2000)
    assert shot.stat().st_size > 30_000  # text, tables and pictures, not a blank page
    for failure in ("Failed to load", "net::ERR", "ERR_FILE_NOT_FOUND", "Refused to"):
        assert failure not in done.stderr


@browser
def test_chromium_sees_the_numbers(report, tmp_path):
    page, data, _, _ = report
    done = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr
    dom = parse(done.stdout)
    check_against_json(dom, data)
    text = " ".join(" ".join(dom.text).split())
    assert "Cross-entropy report" in text and "<b>eel</b>" in text  # shown as text
    assert "The worst rows" in text
    assert dom.links == [] and "script" not in dom.tags
    for failure in ("Failed to load", "net::ERR"):
        assert failure not in done.stderr
