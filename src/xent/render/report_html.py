"""``xent report``: a :class:`~xent.results.Summary` as one self-contained HTML page.

The summary, the per-class table, the reliability diagram (the SVG of
:func:`xent.render.reliability.reliability_svg`, inline), a histogram of the per-row
losses (:class:`xent.histogram.LossHistogram`) and the worst rows. Inline CSS and inline
SVG only: no script, no font, no image, nothing fetched, so the page opens offline and
can be mailed or attached to a CI run. Every text from the input (the source, class
names, labels, notes) is escaped with :func:`html.escape`.

Each number is shown with ``--precision`` decimals; its exact value (the text ``-f json``
writes) is in the cell's ``data-value`` and ``title`` (a tooltip), for scripts and tests.
It formats; it never computes a loss.
"""

from __future__ import annotations

import math
from html import escape

from .. import __version__
from ..units import counted
from .loss_histogram import loss_histogram_svg
from .numbers import full_precision, number
from .summary_output import TIE_NOTE, adaptive_bound_text
from .text import html_text

CSS = """
:root { --ink: #1f2328; --dim: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --blue: #4c78a8;
  --red: #e45756; }
* { box-sizing: border-box; }
body { margin: 0; padding: 32px 40px 48px; color: var(--ink); background: white;
  font: 15px/1.5 -apple-system, "Segoe UI", "Helvetica Neue", Arial, "Noto Sans",
  "Noto Sans CJK SC", sans-serif; }
main { max-width: 1100px; margin: 0 auto; }
h1 { font-size: 26px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 6px;
  border-bottom: 1px solid var(--line); }
p.sub, p.note, figcaption, footer { color: var(--dim); }
p.sub { margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
  gap: 10px; margin: 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
  background: var(--soft); }
.card dt { font-size: 12.5px; color: var(--dim); }
.card dd { margin: 2px 0 0; font-size: 21px; font-weight: 600;
  font-variant-numeric: tabular-nums; }
.card dd small { display: block; font-size: 12px; font-weight: 400; color: var(--dim); }
.card.main { background: #eaf1fb; border-color: #b6cde9; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 4px 0; }
th, td { padding: 5px 12px; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; }
th { font-size: 13px; color: var(--dim); font-weight: 600; background: var(--soft); }
th:first-child, td:first-child, td.text { text-align: left; }
td.text { white-space: normal; word-break: break-all; }
tbody tr:hover { background: #fbfcfd; }
td.shares { text-align: left; }
.pct { display: inline-block; width: 3.6em; text-align: right; margin-right: 8px; }
.track { display: inline-block; width: 120px; vertical-align: middle; }
.share { display: inline-block; height: 14px; background: var(--blue); opacity: .8;
  vertical-align: middle; border-radius: 2px; }
.pictures { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 13px; max-width: 520px; margin-top: 6px; }
ul.notes { color: var(--dim); margin: 8px 0 0; padding-left: 20px; }
.wrong { color: #b42318; }
footer { margin-top: 40px; font-size: 12.5px; }
"""


SHARE_WIDTH = 120  # px: the bar of the class with the largest share of the loss


def _value(x: float, precision: int, *, key: str | None = None, tag: str = "span") -> str:
    """A number: shown at ``precision``, exact in ``data-value`` and the tooltip."""
    exact = full_precision(x)
    data = f' data-key="{key}"' if key else ""
    return f'<{tag}{data} data-value="{exact}" title="{exact}">{number(x, precision)}</{tag}>'


def _cell(x: float, precision: int, key: str | None = None) -> str:
    return _value(x, precision, key=key, tag="td")


def _card_figures(summary) -> list[tuple[str, str, float, str]]:
    """(title, JSON key, value, the key of its interval) of each card, in order."""
    m = summary.metrics
    unit = escape(summary.unit)
    cards: list[tuple[str, str, float, str]] = [
        (f"mean cross-entropy ({unit})", "mean", summary.mean, "mean_cross_entropy"),
        ("perplexity", "perplexity", summary.perplexity, "perplexity"),
        ("accuracy", "accuracy", summary.accuracy, "accuracy"),
    ]
    if m is not None:
        if m.k != 1:  # top-1 is the accuracy, ties aside (the note says how each breaks them)
            cards.append(
                (f"top-{m.k} accuracy", "top_k_accuracy", m.top_k_accuracy, "top_k_accuracy")
            )
        cards += [
            ("Brier score", "brier_score", m.brier_score, "brier_score"),
            (f"ECE ({m.bins} bins)", "ece", m.ece, "ece"),
            ("MCE", "mce", m.mce, ""),
            ("RMS calibration error", "rms_calibration_error", m.rms_calibration_error, ""),
            ("adaptive ECE (equal-mass)", "adaptive_ece", m.adaptive_ece, ""),
            ("classwise ECE", "classwise_ece", m.classwise_ece, ""),
        ]
        if not math.isnan(m.binary_ece):
            cards.append(("binary ECE", "binary_ece", m.binary_ece, ""))
    cards += [
        (f"std of the loss ({unit})", "std", summary.std, ""),
        (f"min loss ({unit})", "min", summary.min, ""),
        (f"max loss ({unit})", "max", summary.max, ""),
        (f"sum of the losses ({unit})", "sum", summary.sum, ""),
    ]
    sk = summary.skill
    if sk is not None:
        cards += [
            (f"base rate H(labels) ({unit})", "base_rate_entropy", sk.base_rate, ""),
            ("pseudo-R² (McFadden)", "pseudo_r2", sk.pseudo_r2, ""),
            ("information gain (bits)", "information_gain_bits", sk.information_gain_bits, ""),
        ]
    return cards


def _cards(summary, precision: int) -> str:
    out = ['<dl class="cards">']
    for i, (title, key, x, ci_key) in enumerate(_card_figures(summary)):
        small = _card_note(summary, key, x, ci_key, precision)
        main = " main" if i == 0 else ""
        value = _value(x, precision, key=key)
        if math.isnan(x) and summary.infinite:  # the std of infinite losses
            exact = full_precision(x)
            value = f'<span data-key="{key}" data-value="{exact}" title="{exact}">–</span>'
        out.append(
            f'<div class="card{main}"><dt>{title}</dt>'
            f"<dd>{value}{f'<small>{small}</small>' if small else ''}</dd></div>"
        )
    counts = [
        ("rows", "rows", summary.rows),
        ("rows skipped", "skipped", summary.skipped),
        ("rows ignored", "ignored_rows", summary.ignored),
    ]
    for title, key, n in counts:
        if key != "rows" and not n:
            continue
        out.append(
            f'<div class="card"><dt>{title}</dt>'
            f'<dd><span data-key="{key}" data-value="{n}">{n:,}</span></dd></div>'
        )
    out.append("</dl>")
    return "\n".join(out)


def _card_note(summary, key: str, x: float, ci_key: str, precision: int) -> str:
    """The small text under a card's value: its interval (or why it has none), the
    equal-mass ECE's worst-case error when it matters, why a value is undefined."""
    ci, m = summary.ci, summary.metrics
    if key == "adaptive_ece" and m is not None:
        return adaptive_bound_text(m)
    if math.isnan(x) and summary.infinite:
        return "undefined: some losses are infinite"
    if ci is None or ci_key not in ci.bounds:
        return ""
    low, high = ci.bounds[ci_key]
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"no {ci.level:.0%} interval: {_infinite_rows(summary)}"
    return f"{ci.level:.0%} interval {_value(low, precision)} – {_value(high, precision)}"


def _infinite_rows(summary) -> str:
    n = summary.infinite
    return f"{counted(n, 'row')} {'gives' if n == 1 else 'give'} the label probability 0"


def _per_class(summary, precision: int) -> str:
    m = summary.metrics
    unit = escape(summary.unit)
    multi = summary.task == "multilabel"
    header = [
        "class",
        "rows (positive)" if multi else "rows",
        f"mean loss ({unit})",
        "share of the loss",
        "accuracy",
    ]
    top_k = m is not None and m.k != 1
    if m is not None:
        header += [f"top-{m.k} accuracy"] if top_k else []
        header += ["Brier", "ECE (own)"]
    out = ['<table class="per-class">', "<thead><tr>"]
    out += [f"<th>{h}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    infinite = not math.isfinite(summary.sum)
    largest = max((c.share for c in summary.per_class if math.isfinite(c.share)), default=0.0)
    for c in summary.per_class:
        exact = full_precision(c.share)
        if infinite:  # every share is 0 or ∞/∞: say why below the table instead
            share = f'<td data-key="share" data-value="{exact}" title="{exact}">–</td>'
        else:
            width = SHARE_WIDTH * c.share / largest if largest > 0 else 0.0
            bar = (  # in a track of SHARE_WIDTH, so every bar starts at the same place
                f'<span class="track"><span class="share" style="width:{max(0.0, width):.1f}px">'
                "</span></span>"
            )
            share = (
                f'<td class="shares" data-key="share" data-value="{exact}" title="{exact}">'
                f'<span class="pct">{_percent(c.share)}</span>{bar}</td>'
            )
        cells = [
            f'<td class="text" data-key="class">{html_text(c.name)}</td>',
            f'<td data-key="rows" data-value="{c.rows}">{c.rows:,}</td>',
            _cell(c.mean, precision, "mean_cross_entropy"),
            share,
            _cell(c.accuracy, precision, "accuracy"),
        ]
        if m is not None:
            cells += [_cell(c.top_k_accuracy, precision, "top_k_accuracy")] if top_k else []
            cells += [
                _cell(c.brier_score, precision, "brier_score"),
                _cell(c.ece, precision, "ece"),
            ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if infinite:
        classes = ", ".join(html_text(c.name) for c in summary.per_class if c.mean == math.inf)
        out.append(
            f'<p class="note">No shares of the loss: the summed loss is infinite '
            f"({_infinite_rows(summary)}; {'classes' if ',' in classes else 'class'} "
            f"{classes}).</p>"
        )
    return "\n".join(out)


def _percent(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.1%}"


def _reliability(summary, precision: int) -> str:
    from .reliability import reliability_svg

    m = summary.metrics
    if m is None:
        why = (
            "multi-label rows have no single top-label confidence"
            if summary.task == "multilabel"
            else "no rows with probabilities"
        )
        return f'<p class="note">No reliability diagram: {why}.</p>'
    svg = _inline(reliability_svg(summary))
    caption = (
        f"Per equal-width bin of the confidence (the top probability; bins (low, high], the "
        f"first holds 0): bars are the accuracy, whiskers its 95% Wilson interval, red dots "
        f"the mean confidence (on the bar's top), the dashed diagonal a perfectly calibrated "
        f"model: a bar whose top lies below the diagonal is over-confident. "
        f"ECE = Σ (rows in bin / rows)·|accuracy − confidence| = "
        f"{number(m.ece, precision)}."
    )
    rows = [
        '<table class="reliability"><thead><tr><th>bin</th><th>rows</th>'
        "<th>confidence</th><th>accuracy</th><th>gap</th><th>95% interval</th></tr></thead><tbody>"
    ]
    for low, high, count, _, conf, acc, w_low, w_high in m.reliability:
        if not count:
            continue
        rows.append(
            f"<tr><td>({low:.2f}, {high:.2f}]</td><td>{count:,}</td>"
            f"{_cell(conf, precision)}{_cell(acc, precision)}{_cell(acc - conf, precision)}"
            f"<td>{number(w_low, 3)} – {number(w_high, 3)}</td></tr>"
        )
    rows.append("</tbody></table>")
    return (
        f'<div class="pictures"><figure id="reliability">{svg}<figcaption>{caption}'
        f"</figcaption></figure>\n<div>{''.join(rows)}</div></div>"
    )


def _inline(svg: str) -> str:
    """A standalone SVG document as an element of the page (HTML needs no namespace)."""
    return svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1).strip()


def _worst(summary, precision: int) -> str:
    if not summary.worst:
        why = (
            "multi-label rows have no single label" if summary.task == "multilabel" else "--worst 0"
        )
        return f'<p class="note">No worst rows: {why}.</p>'
    where = "line" if summary.numbered == "line" else summary.numbered
    out = [
        '<table class="worst"><thead><tr><th>#</th><th>row</th>'
        f"<th>{escape(where)}</th><th>label</th><th>predicted</th>"
        f"<th>loss ({escape(summary.unit)})</th></tr></thead><tbody>"
    ]
    for i, w in enumerate(summary.worst, 1):
        wrong = ' class="text wrong"' if w.label != w.predicted else ' class="text"'
        out.append(
            f'<tr><td>{i}</td><td data-key="row">{w.row:,}</td>'
            f'<td data-key="line">{w.line:,}</td><td class="text">{html_text(w.label)}</td>'
            f"<td{wrong}>{html_text(w.predicted)}</td>"
            f"{_cell(w.cross_entropy, precision, 'cross_entropy')}</tr>"
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def report_html(summary, histogram, *, precision: int = 4) -> str:
    """The whole page (see the module docstring)."""
    source = html_text(summary.source)
    classes = len(summary.classes)
    sub = (
        f"{summary.rows:,} rows, {classes} classes ({escape(summary.task)}), losses in "
        f"{escape(summary.unit)}"
    )
    notes = ""
    listed = list(summary.notes)
    if summary.metrics is not None and summary.metrics.k != 1:
        listed.insert(0, TIE_NOTE)
    if summary.ci is not None:  # how the cards' intervals were drawn, as the table says
        listed.insert(0, f"{summary.ci.level:.0%} intervals: {summary.ci.described}")
    if listed:
        notes = '<ul class="notes">' + "".join(f"<li>{html_text(n)}</li>" for n in listed)
        notes += "</ul>"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>xent report: {source}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body><main>",
        f'<h1>Cross-entropy report: <span data-key="source">{source}</span></h1>',
        f'<p class="sub">{sub}</p>',
        '<section id="summary"><h2>Summary</h2>',
        _cards(summary, precision),
        notes,
        "</section>",
        '<section id="per-class"><h2>Per class</h2>',
        _per_class(summary, precision),
        "</section>",
        '<section id="calibration"><h2>Calibration: the reliability diagram</h2>',
        _reliability(summary, precision),
        "</section>",
        '<section id="losses"><h2>The losses, row by row</h2>',
        '<div class="pictures">',
        loss_histogram_svg(histogram, summary),
        '<div id="worst-rows"><h3>The worst rows</h3>',
        _worst(summary, precision),
        "</div></div>",
        "</section>",
        f"<footer>Written by xent {escape(__version__)}. One file, nothing fetched: "
        "the numbers' exact values are in each one's tooltip (and what "
        "<code>xent compute -f json</code> prints).</footer>",
        "</main></body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
