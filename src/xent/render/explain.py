"""``xent explain``: a :class:`~xent.lesson.Lesson` written out step by step.

The steps are built once, as text (:func:`steps`), from the engine's numbers; ``plain``
prints them, ``json`` adds the numbers, and the Rich view styles them and draws the
substitution as a table with bars of P against Q. Nothing here computes a loss.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from typing import NamedTuple

from ..units import UNIT_NAMES, base_label
from .explain_text import texts
from .numbers import json_number, number
from .text import visible, write_json

INDENT = "   "


class Step(NamedTuple):
    key: str
    title: str
    lines: list[str]
    meaning: str


def _number(x: float, precision: int) -> str:
    # The table's formatting, so the terminal, the SVG and plain text agree.
    return number(x, precision)


def log_symbol(base: float) -> str:
    """How log in ``base`` is written: ``ln``, ``log₂``, ``log₁₀``, ``log_3``."""
    return {math.e: "ln", 2.0: "log₂", 10.0: "log₁₀"}.get(base, f"log_{base_label(base)}")


def unit_text(t: dict[str, str], base: float) -> str:
    key = {"nats": "unit_nats", "bits": "unit_bits", "hartleys": "unit_hartleys"}
    name = UNIT_NAMES.get(base)
    return t[key[name]] if name else t["unit_other"].format(base=base_label(base))


def percent(fraction: float) -> str:
    return "" if math.isnan(fraction) else f"{fraction:+.1%}"


def _substitution(lesson, i: int, t, precision: int) -> list[str]:
    """One line per class, the vanishing terms marked, then their sum."""
    rows, report = lesson.report.rows, lesson.report
    num = lambda x: _number(x, precision)  # noqa: E731
    log = log_symbol(report.base)
    width = max(len(name) for name in report.classes)
    lines: list[tuple[str, str]] = []
    terms = []
    for k, name in enumerate(report.classes):
        p, q = rows.p[i, k], rows.q[i, k]
        expression = f"{num(p)} · (−{log} {num(q)})"
        if p > 0:
            value = f"{num(p)} · {num(rows.neg_log_q[i, k])} = {num(rows.contribution[i, k])}"
            note = t["counts"]
        else:
            value, note = "0", t["vanishes"]
        terms.append(num(rows.contribution[i, k]))
        lines.append((f"{'+' if k else ' '} {name:<{width}}  {expression} = {value}", note))
    # The notes in a column of their own, so the vanishing terms stand out.
    column = max(len(line) for line, _ in lines) + 3
    shown = [f"{line:<{column}}{note}" for line, note in lines]
    return shown + [f"= {' + '.join(terms)} = {num(rows.cross_entropy[i])}"]


def _substitution_meaning(lesson, i: int, t) -> str:
    p = lesson.report.rows.p[i]
    if lesson.one_hot:
        return t["substitute_onehot"].format(cls=lesson.report.classes[int(p.argmax())])
    return t["substitute_some"] if (p == 0).any() else t["substitute_none"]


def steps(lesson, i: int, lang: str, precision: int) -> list[Step]:
    """The seven steps for prediction ``i``."""
    t = texts(lang)
    report = lesson.report
    rows = report.rows
    num = lambda x: _number(x, precision)  # noqa: E731
    unit = unit_text(t, report.base)
    ce, h, kl, ppl = (
        float(rows.cross_entropy[i]),
        float(rows.entropy[i]),
        float(rows.kl_divergence[i]),
        float(rows.perplexity[i]),
    )
    b = base_label(report.base)
    base_lines = [
        f"{t['in_unit'].format(unit=unit_text(t, math.e), base='e')}: {num(lesson.nats[i])}",
        f"{t['in_unit'].format(unit=unit_text(t, 2.0), base='2')}: "
        f"{num(lesson.bits[i])} = {num(lesson.nats[i])} / ln 2",
    ]
    if report.base not in (math.e, 2.0):
        base_lines.append(
            f"{t['in_unit'].format(unit=unit, base=b)}: {num(ce)} = {num(lesson.nats[i])} / ln {b}"
        )
    return [
        Step("formula", t["formula_title"], ["H(P,Q) = −Σ P(i)·log Q(i)"], t["formula_meaning"]),
        Step(
            "substitute",
            t["substitute_title"],
            _substitution(lesson, i, t, precision),
            _substitution_meaning(lesson, i, t),
        ),
        Step("result", t["result_title"], [f"H(P,Q) = {num(ce)} {unit}"], t["result_meaning"]),
        Step(
            "entropy",
            t["entropy_title"],
            [f"H(P) = −Σ P(i)·log P(i) = {num(h)} {unit}"],
            t["entropy_zero"] if h == 0 else t["entropy_positive"],
        ),
        Step(
            "kl_divergence",
            t["kl_title"],
            [f"KL(P‖Q) = H(P,Q) − H(P) = {num(ce)} − {num(h)} = {num(kl)} {unit}"],
            t["kl_meaning"],
        ),
        Step(
            "perplexity",
            t["perplexity_title"],
            [f"{b}^H(P,Q) = {b}^{num(ce)} = {num(ppl)}"],
            t["perplexity_meaning"].format(value=_number(ppl, 2)),
        ),
        Step("base", t["base_title"], base_lines, t["base_meaning"]),
    ]


class Comparison(NamedTuple):
    title: str
    header: list[str]
    rows: list[list[str]]
    meaning: str


def comparison(lesson, lang: str, precision: int) -> Comparison:
    """One column per prediction: Q of each class, the loss, KL, perplexity, the fall."""
    t = texts(lang)
    report = lesson.report
    rows = report.rows
    num = lambda x: _number(x, precision)  # noqa: E731
    n = lesson.n_predictions
    header = [t["column_class"], "P"] + [f"#{j + 1}" for j in range(n)]
    body = [
        [name, num(rows.p[0, k])] + [num(rows.q[j, k]) for j in range(n)]
        for k, name in enumerate(report.classes)
    ]
    body.append([t["row_loss"], ""] + [num(v) for v in rows.cross_entropy])
    body.append(["KL(P‖Q)", ""] + [num(v) for v in rows.kl_divergence])
    body.append([t["row_perplexity"], ""] + [num(v) for v in rows.perplexity])
    falls = [
        "—" if j == 0 else f"{num(lesson.falls[j])} ({percent(-lesson.relative_falls[j])})".strip()
        for j in range(n)
    ]
    body.append([t["row_fall"], ""] + [f.replace(" ()", "") for f in falls])
    first, last = float(rows.cross_entropy[0]), float(rows.cross_entropy[-1])
    unit = unit_text(t, report.base)
    if last < first:
        meaning = t["compare_fall"].format(
            first=num(first),
            last=num(last),
            unit=unit,
            fall=num(lesson.falls[-1]),
            percent=percent(-lesson.relative_falls[-1]),
            floor=num(rows.entropy[0]),
        )
    else:
        meaning = t["compare_rise"].format(first=num(first), last=num(last), unit=unit)
    title = t["compare_title"].format(n=n, label=lesson.label)
    return Comparison(title, header, body, meaning)


def _q_text(lesson, i: int, precision: int) -> str:
    return ", ".join(_number(q, precision) for q in lesson.report.rows.q[i])


def _heading(lesson, lang: str) -> list[str]:
    t = texts(lang)
    unit = unit_text(t, lesson.report.base)
    return [
        t["heading"].format(label=lesson.label),
        t["in_unit"].format(unit=unit, base=base_label(lesson.report.base)),
    ]


# --------------------------------------------------------------------------- plain


def _columns(rows: list[list[str]]) -> list[str]:
    """Align a table of text: the first column left, the others right."""
    widths = [max(cells(row[c]) for row in rows) for c in range(len(rows[0]))]

    def pad(cell: str, c: int) -> str:
        space = " " * (widths[c] - cells(cell))
        return cell + space if c == 0 else space + cell

    return ["  ".join(pad(cell, c) for c, cell in enumerate(row)).rstrip() for row in rows]


def cells(text: str) -> int:
    """Terminal columns of ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, lang: str) -> list[str]:
    """English at 80 columns; Chinese has no spaces to break at, so it stays one line."""
    if lang != "en":
        return [INDENT + text]
    return textwrap.wrap(text, 80, initial_indent=INDENT, subsequent_indent=INDENT)


def explain_text(lesson, lang: str = "en", precision: int = 4) -> str:
    """The whole explanation as text without colour."""
    t = texts(lang)
    out = list(_heading(lesson, lang))
    for i in range(lesson.n_predictions):
        out += ["", t["prediction"].format(n=i + 1, q=_q_text(lesson, i, precision))]
        for step in steps(lesson, i, lang, precision):
            out += ["", step.title]
            out += [INDENT + line for line in step.lines]
            if i == 0:  # the meanings are the same for every prediction: say them once
                out += _wrap(step.meaning, lang)
    if lesson.n_predictions > 1:
        c = comparison(lesson, lang, precision)
        out += ["", c.title]
        out += [INDENT + line for line in _columns([c.header, *c.rows])]
        out += _wrap(c.meaning, lang)
    if _has_calibration(lesson):
        step = calibration_step(lesson.batch, lang, precision)
        out += ["", step.title, *(INDENT + line for line in step.lines)]
        out += _wrap(step.meaning, lang)
    if lesson.report.notes:
        out += ["", *lesson.report.notes]
    # Text from the input (class names, the label) never reaches a terminal raw.
    return "\n".join(visible(line) for line in out) + "\n"


def render_explain_plain(lesson, out, *, lang: str = "en", precision: int = 4) -> None:
    out.write(explain_text(lesson, lang, precision))


# --------------------------------------------------------------------------- json


def explain_to_dict(lesson, lang: str = "en", precision: int = 4) -> dict:
    """The numbers (full precision) and the steps' text, one entry per prediction."""
    report = lesson.report
    rows = report.rows
    predictions = []
    for i in range(lesson.n_predictions):
        predictions.append(
            {
                "prediction": [json_number(q) for q in rows.q[i]],
                "terms": [
                    {
                        "class": name,
                        "p": json_number(rows.p[i, k]),
                        "q": json_number(rows.q[i, k]),
                        "neg_log_q": json_number(rows.neg_log_q[i, k]),
                        "contribution": json_number(rows.contribution[i, k]),
                        "vanishes": bool(rows.p[i, k] == 0),
                    }
                    for k, name in enumerate(report.classes)
                ],
                "cross_entropy": json_number(rows.cross_entropy[i]),
                "entropy": json_number(rows.entropy[i]),
                "kl_divergence": json_number(rows.kl_divergence[i]),
                "perplexity": json_number(rows.perplexity[i]),
                "cross_entropy_nats": json_number(lesson.nats[i]),
                "cross_entropy_bits": json_number(lesson.bits[i]),
                "fall": json_number(lesson.falls[i]),
                "relative_fall": json_number(lesson.relative_falls[i]),
                "steps": [step._asdict() for step in steps(lesson, i, lang, precision)],
            }
        )
    data = {
        "label": lesson.label,
        "classes": list(report.classes),
        "unit": report.unit,
        "base": report.base,
        "lang": lang,
        "predictions": predictions,
        "notes": list(report.notes),
    }
    if lesson.n_predictions > 1:
        data["comparison"] = comparison(lesson, lang, precision)._asdict()
    if _has_calibration(lesson):
        data["calibration"] = {
            **calibration_to_dict(lesson.batch),
            "step": calibration_step(lesson.batch, lang, precision)._asdict(),
        }
    return data


def _has_calibration(lesson) -> bool:
    """Several predictions: the calibration step of the batch they make."""
    batch = getattr(lesson, "batch", None)
    return batch is not None and batch.metrics is not None


def render_explain_json(lesson, out, *, lang: str = "en", precision: int = 4) -> None:
    write_json(explain_to_dict(lesson, lang, precision), out)


# --------------------------------------------------------------------------- rich


def _substitution_table(lesson, i: int, lang: str, precision: int):
    """The substitution as a table, with bars of P (green) against Q (cyan) per class."""
    from rich.console import Group
    from rich.text import Text

    from .layout import Column, bar, fitted_table

    t = texts(lang)
    rows = lesson.report.rows
    num = lambda x: _number(x, precision)  # noqa: E731
    log = log_symbol(lesson.report.base)
    columns = [
        Column("", "left", is_bar=True),
        Column(t["column_class"], "left"),
        Column("P"),
        Column("Q"),
        Column("P vs Q", "left", is_bar=True),
        Column(f"P·(−{log} Q)"),
        Column("", "left"),
    ]
    cells, styles = [], []
    for k, name in enumerate(lesson.report.classes):
        p, q = float(rows.p[i, k]), float(rows.q[i, k])
        bars = Text.assemble(
            ("P ", "dim"), (bar(p), "green"), "\n", ("Q ", "dim"), (bar(q), "cyan")
        )
        counts = p > 0
        value = (
            f"{num(p)} · {num(rows.neg_log_q[i, k])} = {num(rows.contribution[i, k])}"
            if counts
            else "0"
        )
        note = t["counts"] if counts else t["vanishes"]
        cells.append(["+" if k else "", name, num(p), num(q), bars, value, note])
        styles.append("bold" if counts else "dim")
    terms = " + ".join(num(c) for c in rows.contribution[i])
    total = Text(f"= {terms} = {num(rows.cross_entropy[i])}", style="bold")
    return Group(fitted_table(columns, cells, styles=styles, key=1), total)


def _comparison_table(c: Comparison, n_classes: int):
    from .layout import Column, fitted_table

    columns = [Column(name, "left" if k == 0 else "right") for k, name in enumerate(c.header)]
    styles = ["bold" if r == n_classes else None for r in range(len(c.rows))]
    return fitted_table(columns, c.rows, styles=styles, sections=(n_classes - 1,))


def _indent(renderable):
    from rich.padding import Padding

    return Padding(renderable, (0, 0, 0, len(INDENT)), expand=False)


def explain_renderable(lesson, lang: str = "en", precision: int = 4):
    """The explanation for a terminal (or a recording console): a Rich Group."""
    from rich.console import Group
    from rich.text import Text

    t = texts(lang)
    heading, in_unit = _heading(lesson, lang)
    parts = [Text(visible(heading), style="bold"), Text(in_unit, style="dim")]
    for i in range(lesson.n_predictions):
        q = _q_text(lesson, i, precision)
        parts += [Text(""), Text(t["prediction"].format(n=i + 1, q=q), style="bold magenta")]
        for step in steps(lesson, i, lang, precision):
            parts += [Text(""), Text(step.title, style="bold")]
            if step.key == "substitute":
                body = _substitution_table(lesson, i, lang, precision)
            else:
                body = Text("\n".join(visible(line) for line in step.lines), style="cyan")
            parts.append(_indent(body))
            if i == 0:
                parts.append(_indent(Text(visible(step.meaning), style="italic")))
    if lesson.n_predictions > 1:
        c = comparison(lesson, lang, precision)
        parts += [Text(""), Text(visible(c.title), style="bold")]
        parts.append(_indent(_comparison_table(c, len(lesson.report.classes))))
        parts.append(_indent(Text(visible(c.meaning), style="italic")))
    if _has_calibration(lesson):
        parts += _step_renderables(calibration_step(lesson.batch, lang, precision))
    if lesson.report.notes:
        parts += [Text(""), *(Text(visible(note), style="dim") for note in lesson.report.notes)]
    return Group(*parts)


# --------------------------------------------------------------------------- a batch


class CalibrationBin(NamedTuple):
    low: float
    high: float
    rows: int
    weight: float
    confidence: float
    accuracy: float
    gap: float  # accuracy − confidence
    term: float  # (weight / total weight)·|gap|: the bin's part of the ECE


def calibration_bins(summary) -> list[CalibrationBin]:
    """The non-empty bins of the summary's reliability diagram, each with its ECE term."""
    reliability = summary.metrics.reliability
    total = sum(row[3] for row in reliability)
    out = []
    for low, high, rows, weight, confidence, accuracy, _, _ in reliability:
        if weight > 0:
            gap = accuracy - confidence
            term = weight / total * abs(gap)
            out.append(CalibrationBin(low, high, rows, weight, confidence, accuracy, gap, term))
    return out


def _bin_text(low: float, high: float) -> str:
    return f"({low:.2f}, {high:.2f}]"


def _join(lang: str, *sentences: str) -> str:
    return ("" if lang == "zh" else " ").join(s for s in sentences if s)


def calibration_step(summary, lang: str, precision: int, number_text: str = "") -> Step:
    """What ECE means, with the batch's numbers: the bins, each non-empty bin's gap, and
    the weighted sum (which is the summary's ECE)."""
    t = texts(lang)
    m = summary.metrics
    num = lambda x: _number(x, precision)  # noqa: E731
    bins = calibration_bins(summary)
    weighted = any(b.weight != b.rows for b in bins)
    n = summary.rows
    table = [
        [
            t["column_bin"],
            t["column_rows"],
            t["column_confidence"],
            t["column_accuracy"],
            t["column_gap"],
            t["column_term"],
        ]
    ]
    total = sum(b.weight for b in bins)
    for b in bins:
        share = num(b.weight / total) if weighted else f"{b.rows}/{n}"
        table.append(
            [
                _bin_text(b.low, b.high),
                f"{b.rows:,}",
                num(b.confidence),
                num(b.accuracy),
                num(b.gap),
                f"{share} · {num(abs(b.gap))} = {num(b.term)}",
            ]
        )
    terms = " + ".join(num(b.term) for b in bins)
    lines = [
        "ECE = Σ_b (n_b/N)·|accuracy_b − confidence_b|",
        t["calibration_of"].format(bins=m.bins, rows=f"{n:,}"),
        *_columns(table),
        f"ECE = {terms} = {num(m.ece)}" if len(bins) > 1 else f"ECE = {num(m.ece)}",
    ]
    largest = max(bins, key=lambda b: abs(b.gap))
    if largest.gap == 0:
        verdict = t["calibration_perfect"]
    else:
        verdict = t["calibration_over" if largest.gap < 0 else "calibration_under"].format(
            bin=_bin_text(largest.low, largest.high),
            accuracy=num(largest.accuracy),
            confidence=num(largest.confidence),
        )
    few = t["calibration_few"].format(rows=f"{n:,}") if n < 100 else ""
    title = t["calibration_title"].format(number=number_text)
    return Step("calibration", title, lines, _join(lang, t["calibration_meaning"], verdict, few))


def calibration_to_dict(summary) -> dict:
    m = summary.metrics
    return {
        "bins": m.bins,
        "rows": summary.rows,
        "ece": json_number(m.ece),
        "mce": json_number(m.mce),
        "non_empty_bins": [
            {
                "low": b.low,
                "high": b.high,
                "rows": b.rows,
                "weight": json_number(b.weight),
                "confidence": json_number(b.confidence),
                "accuracy": json_number(b.accuracy),
                "gap": json_number(b.gap),
                "term": json_number(b.term),
            }
            for b in calibration_bins(summary)
        ],
    }


def batch_steps(summary, lang: str, precision: int) -> list[Step]:
    """``xent explain --file``: the batch's mean loss, then what its ECE means."""
    t = texts(lang)
    num = lambda x: _number(x, precision)  # noqa: E731
    unit = unit_text(t, summary.base)
    loss = [f"H = (1/N)·Σ_n H(P_n,Q_n) = {num(summary.sum)} / {summary.rows:,} = "]
    loss[0] += f"{num(summary.mean)} {unit}"
    out = [Step("batch_loss", t["batch_loss_title"], loss, t["batch_loss_meaning"])]
    if summary.metrics is not None:
        out.append(calibration_step(summary, lang, precision, "2. "))
    return out


def _batch_heading(summary, lang: str) -> list[str]:
    t = texts(lang)
    unit = unit_text(t, summary.base)
    return [
        t["batch_heading"].format(source=summary.source, rows=f"{summary.rows:,}"),
        t["in_unit"].format(unit=unit, base=base_label(summary.base)),
    ]


def batch_text(summary, lang: str = "en", precision: int = 4) -> str:
    out = list(_batch_heading(summary, lang))
    for step in batch_steps(summary, lang, precision):
        out += ["", step.title, *(INDENT + line for line in step.lines)]
        out += _wrap(step.meaning, lang)
    if summary.notes:
        out += ["", *summary.notes]
    return "\n".join(visible(line) for line in out) + "\n"


def batch_to_dict(summary, lang: str = "en", precision: int = 4) -> dict:
    return {
        "source": summary.source,
        "rows": summary.rows,
        "mean_cross_entropy": json_number(summary.mean),
        "sum": json_number(summary.sum),
        "unit": summary.unit,
        "base": summary.base,
        "lang": lang,
        "steps": [step._asdict() for step in batch_steps(summary, lang, precision)],
        "calibration": None if summary.metrics is None else calibration_to_dict(summary),
        "notes": list(summary.notes),
    }


def _step_renderables(step: Step) -> list:
    from rich.text import Text

    return [
        Text(""),
        Text(visible(step.title), style="bold"),
        _indent(Text("\n".join(visible(line) for line in step.lines), style="cyan")),
        _indent(Text(visible(step.meaning), style="italic")),
    ]


def batch_renderable(summary, lang: str = "en", precision: int = 4):
    from rich.console import Group
    from rich.text import Text

    heading, in_unit = _batch_heading(summary, lang)
    parts = [Text(visible(heading), style="bold"), Text(in_unit, style="dim")]
    for step in batch_steps(summary, lang, precision):
        parts += _step_renderables(step)
    if summary.notes:
        parts += [Text(""), *(Text(visible(note), style="dim") for note in summary.notes)]
    return Group(*parts)
