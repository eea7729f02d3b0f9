"""``xent explain``: a :class:`~xent.lesson.Lesson` written out step by step.

The steps are built once, as text, from the engine's numbers (``explain_steps``; a batch's
calibration step in ``explain_calibration``); here ``plain`` prints them, ``json`` adds the
numbers, and the Rich view styles them and draws the substitution as a table with bars of P
against Q. The same for a batch (``xent explain --file``). Nothing here computes a loss.
"""

from __future__ import annotations

from .explain_calibration import (
    alternatives_step,
    alternatives_to_dict,
    batch_heading,
    batch_steps,
    calibration_to_dict,
)
from .explain_steps import (
    INDENT,
    Comparison,
    Step,
    aligned,
    cells,
    comparison,
    lesson_heading,
    log_symbol,
    q_text,
    steps,
    wrap,
    wrap_cjk,
)
from .explain_text import texts
from .numbers import json_number, number
from .text import visible, write_json

# --------------------------------------------------------------------------- plain


def explain_text(lesson, lang: str = "en", precision: int = 4) -> str:
    """The whole explanation as text without colour."""
    t = texts(lang)
    out = list(lesson_heading(lesson, lang))
    for i in range(lesson.n_predictions):
        out += ["", t["prediction"].format(n=i + 1, q=q_text(lesson, i, precision))]
        for step in steps(lesson, i, lang, precision):
            out += ["", step.title]
            out += [INDENT + line for line in step.lines]
            if i == 0:  # the meanings are the same for every prediction: say them once
                out += wrap(step.meaning, lang)
    if lesson.n_predictions > 1:
        c = comparison(lesson, lang, precision)
        out += ["", c.title]
        out += [INDENT + line for line in aligned([c.header, *c.rows])]
        out += wrap(c.meaning, lang)
    if lesson.n_predictions > 1:
        step = alternatives_step(lesson, lang, precision)
        out += ["", step.title, *(INDENT + line for line in step.lines)]
        out += wrap(step.meaning, lang)
    if lesson.report.notes:
        out += ["", *notes_in(lesson.report.notes, lang)]
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
    if lesson.n_predictions > 1:
        data["calibration"] = {
            **alternatives_to_dict(lesson),
            "step": alternatives_step(lesson, lang, precision)._asdict(),
        }
    return data


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
    num = lambda x: number(x, precision)  # noqa: E731
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
    heading, in_unit = lesson_heading(lesson, lang)
    parts = [Text(visible(heading), style="bold"), Text(in_unit, style="dim")]
    for i in range(lesson.n_predictions):
        q = q_text(lesson, i, precision)
        parts += [Text(""), Text(t["prediction"].format(n=i + 1, q=q), style="bold magenta")]
        for step in steps(lesson, i, lang, precision):
            parts += [Text(""), Text(step.title, style="bold")]
            if step.key == "substitute":
                body = _substitution_table(lesson, i, lang, precision)
            else:
                body = Text("\n".join(visible(line) for line in step.lines), style="cyan")
            parts.append(_indent(body))
            if i == 0:
                parts.append(_indent(_meaning(step.meaning, lang)))
    if lesson.n_predictions > 1:
        c = comparison(lesson, lang, precision)
        parts += [Text(""), Text(visible(c.title), style="bold")]
        parts.append(_indent(_comparison_table(c, len(lesson.report.classes))))
        parts.append(_indent(_meaning(c.meaning, lang)))
    if lesson.n_predictions > 1:
        parts += _step_renderables(alternatives_step(lesson, lang, precision), lang)
    if lesson.report.notes:
        parts += [Text("")]
        parts += [_meaning(note, lang, "dim") for note in notes_in(lesson.report.notes, lang)]
    return Group(*parts)


def batch_text(summary, lang: str = "en", precision: int = 4) -> str:
    out = list(batch_heading(summary, lang))
    for step in batch_steps(summary, lang, precision):
        out += ["", step.title, *(INDENT + line for line in step.lines)]
        out += wrap(step.meaning, lang)
    if summary.notes:
        out += ["", *notes_in(summary.notes, lang)]
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


def _step_renderables(step: Step, lang: str = "en") -> list:
    from rich.text import Text

    return [
        Text(""),
        Text(visible(step.title), style="bold"),
        _indent(Text("\n".join(visible(line) for line in step.lines), style="cyan")),
        _indent(_meaning(step.meaning, lang)),
    ]


def notes_in(notes, lang: str) -> list[str]:
    """The run's notes, the one every run without --classes has in ``lang``."""
    from ..readers.arguments import ARTICLE_NOTE

    return [texts(lang)["article_note"] if note == ARTICLE_NOTE else note for note in notes]


class _Paragraph:
    """Chinese text wrapped to the width it is drawn at, by display width
    (:func:`~xent.render.explain_steps.wrap_cjk`: Rich breaks only at spaces)."""

    def __init__(self, text: str, style: str) -> None:
        self.text, self.style = visible(text), style

    def __rich_console__(self, console, options):
        from rich.text import Text

        lines = wrap_cjk(self.text, options.max_width)
        yield Text("\n".join(lines), style=self.style, no_wrap=True, overflow="ignore")

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        widest = max(cells(line) for line in wrap_cjk(self.text, 1))
        return Measurement(min(widest, options.max_width), cells(self.text))


def _meaning(text: str, lang: str, style: str = "italic"):
    """A paragraph for the Rich view: English wrapped by Rich, Chinese by display width."""
    from rich.text import Text

    if lang == "en":
        return Text(visible(text), style=style)
    return _Paragraph(text, style)


def batch_renderable(summary, lang: str = "en", precision: int = 4):
    from rich.console import Group
    from rich.text import Text

    heading, in_unit = batch_heading(summary, lang)
    parts = [Text(visible(heading), style="bold"), Text(in_unit, style="dim")]
    for step in batch_steps(summary, lang, precision):
        parts += _step_renderables(step, lang)
    if summary.notes:
        parts += [Text("")]
        parts += [_meaning(note, lang, "dim") for note in notes_in(summary.notes, lang)]
    return Group(*parts)
