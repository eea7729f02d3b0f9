"""``xent kl`` and ``xent js`` output: a divergence of P from Q, per class and reduced.

The same four formats as the loss reports; ``plain``, ``json`` and ``csv`` keep full
precision. Rich is imported only for ``table``.
"""

from __future__ import annotations

import csv
import math

from .numbers import full_precision, json_number
from .text import require_encodable, write_json

TITLES = {
    "kl": ("kl_divergence", "KL(P‖Q) = Σ P(i)·log(P(i)/Q(i))"),
    "js": ("js_divergence", "JS(P,Q) = ½ KL(P‖M) + ½ KL(Q‖M), M = (P+Q)/2"),
}
JS_NOTE = (
    "the Jensen-Shannon divergence; SciPy's jensenshannon prints its square root "
    "(js_distance), a metric"
)


def _reduced(values, reduction: str) -> float:
    return float(values.sum() if reduction == "sum" else values.mean())


def divergence_to_dict(result, *, classes, base, unit, reduction) -> dict:
    key, _ = TITLES[result.kind]
    how = "sum" if reduction == "sum" else "mean"
    value = _reduced(result.per_row, reduction)
    data = {key: json_number(value)}
    if result.kind == "js":
        data["js_distance"] = json_number(math.sqrt(value)) if how == "mean" else None
    terms = getattr(result.terms, how)(axis=0)
    data.update(
        unit=unit,
        base=base,
        reduction=reduction,
        rows=int(result.per_row.shape[0]),
        classes=list(classes),
        contributions=[
            {
                "class": name,
                "p": json_number(result.p[:, i].mean()),
                "q": json_number(result.q[:, i].mean()),
                "contribution": json_number(terms[i]),
            }
            for i, name in enumerate(classes)
        ],
        samples=[
            {"row": n + 1, key: json_number(v)} for n, v in enumerate(result.per_row.tolist())
        ],
        notes=[JS_NOTE] if result.kind == "js" else [],
    )
    return data


def render_divergence(result, fmt: str, out, *, classes, base, unit, reduction, precision=4):
    key, title = TITLES[result.kind]
    if fmt == "plain":
        values = result.per_row if reduction == "none" else [_reduced(result.per_row, reduction)]
        out.write("".join(full_precision(v) + "\n" for v in values))
    elif fmt == "json":
        data = divergence_to_dict(
            result, classes=classes, base=base, unit=unit, reduction=reduction
        )
        write_json(data, out)
    elif fmt == "csv":
        require_encodable(out, [unit], "unit")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["row", key, "unit"])
        for n, v in enumerate(result.per_row.tolist()):
            writer.writerow([n + 1, full_precision(v), unit])
    elif fmt == "table":
        _render_table(result, out, title, classes, unit, reduction, precision)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def _render_table(result, out, title, classes, unit, reduction, precision) -> None:
    from rich.console import Console, Group, RenderableType
    from rich.text import Text

    from .layout import Column, bar, fitted_table
    from .numbers import number

    how = "sum" if reduction == "sum" else "mean"
    n_rows = result.per_row.shape[0]
    parts: list[RenderableType] = [
        Text(title + ("" if n_rows == 1 else f", {n_rows} samples"), style="bold")
    ]
    terms = getattr(result.terms, how)(axis=0)
    finite = terms[terms < math.inf]
    scale = max(float(finite.max()) if finite.size else 0.0, 0.0)
    columns = [
        Column("class", "left"),
        Column("P"),
        Column("Q"),
        Column("term"),
        Column("", "left", is_bar=True),
    ]
    rows = []
    for i, name in enumerate(classes):
        t = float(terms[i])
        share = (t / scale if scale else 0.0) if math.isfinite(t) else math.inf
        rows.append(
            [
                name,
                number(result.p[:, i].mean(), precision),
                number(result.q[:, i].mean(), precision),
                number(t, precision),
                bar(share) if t > 0 else "",
            ]
        )
    parts.append(fitted_table(columns, rows))
    value = _reduced(result.per_row, reduction)
    label = TITLES[result.kind][0].replace("_", " ") + ("" if n_rows == 1 else f" ({how})")
    parts.append(Text(f"{label}  {number(value, precision)} {unit}", style="bold"))
    if result.kind == "js":
        parts.append(Text(JS_NOTE, style="dim"))
    Console(file=out).print(Group(*parts))
