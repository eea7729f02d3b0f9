"""The steps of ``xent explain`` as text, built once from the engine's numbers: the seven
steps of one prediction (:func:`steps`), the comparison of several (:func:`comparison`),
and the helpers every view of them shares (units, log symbols, aligned columns, wrapping).
``explain`` writes them out as plain text, JSON or a Rich view; nothing here computes a loss.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from typing import NamedTuple

from ..units import UNIT_NAMES, base_label
from .explain_text import texts

# The table's formatting, so the terminal, the SVG and plain text agree.
from .numbers import number

INDENT = "   "


class Step(NamedTuple):
    key: str
    title: str
    lines: list[str]
    meaning: str


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
    num = lambda x: number(x, precision)  # noqa: E731
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
    num = lambda x: number(x, precision)  # noqa: E731
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
            t["perplexity_meaning"].format(value=number(ppl, 2)),
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
    num = lambda x: number(x, precision)  # noqa: E731
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


def q_text(lesson, i: int, precision: int) -> str:
    return ", ".join(number(q, precision) for q in lesson.report.rows.q[i])


def lesson_heading(lesson, lang: str) -> list[str]:
    t = texts(lang)
    unit = unit_text(t, lesson.report.base)
    return [
        t["heading"].format(label=lesson.label),
        t["in_unit"].format(unit=unit, base=base_label(lesson.report.base)),
    ]


def aligned(rows: list[list[str]]) -> list[str]:
    """Align a table of text: the first column left, the others right."""
    widths = [max(cells(row[c]) for row in rows) for c in range(len(rows[0]))]

    def pad(cell: str, c: int) -> str:
        space = " " * (widths[c] - cells(cell))
        return cell + space if c == 0 else space + cell

    return ["  ".join(pad(cell, c) for c, cell in enumerate(row)).rstrip() for row in rows]


def cells(text: str) -> int:
    """Terminal columns of ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, lang: str, width: int = 80) -> list[str]:
    """A paragraph in lines of at most ``width`` terminal columns, indented: English
    between words, Chinese by display width (:func:`wrap_cjk`)."""
    if lang != "en":
        return wrap_cjk(text, width, INDENT)
    return textwrap.wrap(text, width, initial_indent=INDENT, subsequent_indent=INDENT)


# A line never starts with closing punctuation nor ends with opening punctuation: each
# stays with its neighbour (the basic line-breaking rule of Chinese and Japanese text).
_CLOSING = set("，。、；：！？）」』》〉】,.;:!?)]}%")
_OPENING = set("（「『《〈【([{")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def wrap_cjk(text: str, width: int, indent: str = "") -> list[str]:
    """Text without spaces between its words (Chinese) in lines of at most ``width``
    terminal columns (a Chinese character takes two): a line may break between any two
    Chinese characters and at a space, never inside a run of Latin letters and digits
    (``H(P,Q)``, ``0.9163``) nor before closing punctuation. A unit longer than a line
    gets a line of its own."""
    units: list[list] = []  # [text, a space before it]
    space = False
    for ch in text:
        if ch == " ":
            space = True
            continue
        last = units[-1][0][-1] if units else ""
        glued = (
            not space
            and units
            and (ch in _CLOSING or last in _OPENING or not (_wide(ch) or _wide(last)))
        )
        if glued:
            units[-1][0] += ch
        else:
            units.append([ch, space])
        space = False
    room = max(width - cells(indent), 1)
    lines: list[str] = []
    line, used = "", 0
    for unit, spaced in units:
        piece = (" " if spaced and line else "") + unit
        if line and used + cells(piece) > room:
            lines.append(indent + line)
            line, used = unit, cells(unit)
        else:
            line, used = line + piece, used + cells(piece)
    if line or not lines:
        lines.append(indent + line)
    return lines
