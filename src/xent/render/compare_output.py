"""A :class:`~xent.compare.Comparison` as plain (the difference B − A, and with ``--ci``
its interval), json, csv or a table. They format; they never compute a loss."""

from __future__ import annotations

import csv

from ..units import counted
from .numbers import full_precision, json_number
from .summary_output import ci_dict, skill_dict
from .text import require_encodable, visible, write_json


def render_comparison(comparison, fmt: str, out, *, precision: int = 4) -> None:
    if fmt == "plain":
        render_plain(comparison, out)
    elif fmt == "json":
        write_json(comparison_to_dict(comparison), out)
    elif fmt == "csv":
        render_csv(comparison, out)
    elif fmt == "table":
        render_table(comparison, out, precision)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def render_plain(c, out) -> None:
    """The difference B − A in full precision; with ``--ci``, its interval after it on the
    line, as ``compute -f plain --ci`` writes the mean's: ``-0.25 [-0.38, -0.13]`` (the
    numbers of JSON's ``ci.difference``). One row has no interval: the difference alone."""
    line = full_precision(c.difference)
    if c.ci is not None:
        line += f" [{full_precision(c.ci[0])}, {full_precision(c.ci[1])}]"
    out.write(line + "\n")


def _model(summary) -> dict:
    return {
        "source": summary.source,
        "mean_cross_entropy": json_number(summary.mean),
        "perplexity": json_number(summary.perplexity),
        "accuracy": json_number(summary.accuracy),
        "ci": ci_dict(summary.ci),
        "skill": skill_dict(summary.skill),
    }


def _defined(x: float):
    return None if x != x else json_number(x)


def _listed(c) -> tuple[list, int]:
    """The classes listed (:mod:`.classes_shown`: by their share of the difference) and how
    many are left out."""
    from .classes_shown import shown

    chosen, left_out = shown([rows * abs(d) for _, rows, _, _, d in c.per_class])
    return [c.per_class[i] for i in chosen], left_out


def _disagreement(d, where: str) -> dict:
    """A row of the disagreements: ``where`` each file has it, its ``line`` or ``row``."""
    return {
        "row": d.row,
        f"{where}_a": d.line_a,
        f"{where}_b": d.line_b,
        "label": d.label,
        "cross_entropy_a": json_number(d.loss_a),
        "cross_entropy_b": json_number(d.loss_b),
    }


def comparison_to_dict(c) -> dict:
    listed, left_out = _listed(c)
    where = "row" if c.a.numbered == "row" else "line"  # each file's row or line
    out = {
        "a": _model(c.a),
        "b": _model(c.b),
        "rows": c.rows,
        "aligned_by": c.aligned_by,
        "difference": json_number(c.difference),  # mean_B − mean_A: positive, B is worse
        # Undefined (one row, or rows that do not vary): null, and the notes say why.
        "standard_error": _defined(c.standard_error),
        "statistic": _defined(c.statistic),
        "p_value": _defined(c.p_value),
        "test": "paired t / Diebold-Mariano, two-sided, "
        + (
            "normal approximation"
            if getattr(c, "degrees_of_freedom", None) is None
            else "Student's t (n − 1 degrees of freedom)"
        ),
        "degrees_of_freedom": getattr(c, "degrees_of_freedom", None),
        "ci": None
        if c.ci is None
        else {
            "level": c.level,
            "method": "student t"
            if c.replicates is None
            else "paired poisson bootstrap, percentile",
            "replicates": c.replicates,
            "seed": c.seed,
            "difference": [json_number(x) for x in c.ci],
        },
        "wins": {"a": c.wins_a, "b": c.wins_b, "ties": c.ties},
        "per_class": [
            {
                "class": name,
                "rows": rows,
                "mean_a": json_number(a),
                "mean_b": json_number(b),
                "difference": json_number(d),
            }
            for name, rows, a, b, d in listed
        ],
        "disagreements": [_disagreement(d, where) for d in c.disagreements],
        "unit": c.unit,
        "base": c.base,
        "notes": list(c.notes),
    }
    if left_out:
        out["classes_left_out"] = left_out
    if getattr(c, "tokens", None) is not None:
        from .compare_tokens import tokens_to_dict

        out["tokens"] = tokens_to_dict(c.tokens)
    return out


def render_csv(c, out) -> None:
    """A row per class and ``(all)``: rows, mean_a, mean_b, difference; then the
    statistics of ``(all)`` in their own columns (the token statistics of two language
    models last, when there are some)."""
    require_encodable(out, [name for name, *_ in c.per_class] + [c.unit], "class name")
    writer = csv.writer(out, lineterminator="\n")
    extra: tuple[list[str], list[str]] = ([], [])
    if getattr(c, "tokens", None) is not None:
        from .compare_tokens import tokens_csv

        extra = tokens_csv(c.tokens)
    writer.writerow(
        [
            "class",
            "rows",
            "mean_a",
            "mean_b",
            "difference",
            "standard_error",
            "statistic",
            "p_value",
            "ci_lo",
            "ci_hi",
            "wins_a",
            "wins_b",
            "ties",
            "unit",
            *extra[0],
        ]
    )
    blank = [""] * len(extra[0])
    for name, rows, a, b, d in c.per_class:
        writer.writerow([name, rows, *map(full_precision, (a, b, d)), *[""] * 8, c.unit, *blank])
    ci = ("", "") if c.ci is None else tuple(map(full_precision, c.ci))
    # An undefined statistic is an empty cell (JSON's null; the table says why).
    stats = [
        "" if x != x else full_precision(x) for x in (c.standard_error, c.statistic, c.p_value)
    ]
    writer.writerow(
        [
            "(all)",
            c.rows,
            *map(full_precision, (c.a.mean, c.b.mean, c.difference)),
            *stats,
            *ci,
            c.wins_a,
            c.wins_b,
            c.ties,
            c.unit,
            *extra[1],
        ]
    )


def _p_value_test(c) -> str:
    """How the p-value was computed: the comparison's own words where it has them."""
    degrees = getattr(c, "degrees_of_freedom", None)
    if degrees is not None:
        return f"two-sided, Student's t, {degrees:,} df"
    return "two-sided, normal approximation"


def _p_value(p: float, precision: int, reason: str = "") -> str:
    """A p-value: fixed decimals, or two significant digits when it is smaller than those
    show (0.0000 would read as impossible); undefined (and why) when there is none."""
    from .numbers import number, undefined

    if p != p:
        return undefined(reason)
    if 0 < p < 10.0**-precision:
        return f"{p:.1e}"
    return number(p, precision)


def _disagreements_table(c, num):
    """The rows where the two losses differ most, with where each is in its file: a
    CSV's line, an array's (or Parquet's, a JSON document's) row, a logprobs file's token
    with the line of its response. Rows of arrays aligned by order are the same row in
    both files: one column."""
    from .layout import Column, fitted_table

    numbered = c.a.numbered if c.a.numbered in ("line", "row") else "line"
    same = numbered == "row" and c.aligned_by == "order" and c.a.task != "tokens"
    columns = [Column("token" if c.a.task == "tokens" else "row")]
    if not same:
        columns += [Column(f"{numbered} A"), Column(f"{numbered} B")]
    columns += [Column("label", "left"), Column("loss A"), Column("loss B")]
    rows = [
        [str(d.row)]
        + ([] if same else [str(d.line_a), str(d.line_b)])
        + [visible(d.label), num(d.loss_a), num(d.loss_b)]
        for d in c.disagreements
    ]
    return fitted_table(columns, rows, title="where they disagree most")


def render_table(c, out, precision: int) -> None:
    from rich.console import Console, Group
    from rich.text import Text

    from .layout import Column, fitted_table
    from .numbers import number, undefined

    def num(x):
        return number(x, precision)

    reason = getattr(c, "degenerate", "")

    def stat(x):  # a statistic of the spread: undefined, and why, rather than nan
        return undefined(reason) if x != x and reason else num(x)

    parts: list = [
        Text(
            f"B − A on {counted(c.rows, 'row')} (aligned by {visible(c.aligned_by)})", style="bold"
        )
    ]
    grid = [
        ["A", visible(c.a.source), num(c.a.mean), c.unit],
        ["B", visible(c.b.source), num(c.b.mean), c.unit],
        ["difference B − A", "positive: B is worse", num(c.difference), c.unit],
        ["standard error", "of the mean paired difference", stat(c.standard_error), c.unit],
        ["t statistic", "paired t / Diebold-Mariano: D / se", stat(c.statistic), ""],
        ["p-value", _p_value_test(c), _p_value(c.p_value, precision, reason), ""],
        ["rows won", f"A {c.wins_a:,} · B {c.wins_b:,} · ties {c.ties:,}", "", ""],
    ]
    if c.ci is not None:
        grid.insert(
            3,
            [
                f"{100 * c.level:g}% interval",
                _drawn(c),
                f"[{num(c.ci[0])}, {num(c.ci[1])}]",
                c.unit,
            ],
        )
    columns = [Column("", "left", "bold"), Column("", "left", "dim"), Column(""), Column("")]
    parts.append(fitted_table(columns, grid, grid=True))
    if getattr(c, "tokens", None) is not None:
        from .compare_tokens import tokens_table

        parts.append(tokens_table(c.tokens, num))
    columns = [Column("class", "left"), Column("rows"), Column("A"), Column("B"), Column("B − A")]
    listed, left_out = _listed(c)
    rows = [[visible(name), f"{n:,}", num(a), num(b), num(d)] for name, n, a, b, d in listed]
    parts.append(fitted_table(columns, rows))
    if left_out:
        from .classes_shown import left_out_note

        parts.append(Text(left_out_note(left_out, "share of the difference"), style="dim"))
    if c.disagreements:
        parts.append(_disagreements_table(c, num))
    parts += [Text(visible(note), style="dim") for note in c.notes]
    Console(file=out).print(Group(*parts))


def _drawn(c) -> str:
    """How the difference's interval was drawn, in a few words."""
    if c.replicates is None:
        return f"Student's t, {c.rows - 1:,} df"
    return f"paired bootstrap, {c.replicates} replicates"
