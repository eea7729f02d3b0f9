"""``plain``: the one number, in full precision, for ``$(xent ...)`` in a shell script.

With ``--reduction none`` there is one number per sample, one per line.
"""

from __future__ import annotations

from .numbers import full_precision


def render_plain(report, out) -> None:
    if report.reduction == "none":
        values = report.rows.entropy if report.kind == "entropy" else report.rows.cross_entropy
        out.write("".join(full_precision(v) + "\n" for v in values))
    else:
        out.write(full_precision(report.headline) + "\n")
