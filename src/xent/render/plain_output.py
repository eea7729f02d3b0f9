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
        line = full_precision(report.headline)
        ci = getattr(report, "ci", None)
        bounds = None if ci is None else ci.bounds.get("mean_cross_entropy")
        if bounds is not None and report.reduction == "mean":  # as a file's plain line
            line += f" [{full_precision(bounds[0])}, {full_precision(bounds[1])}]"
        out.write(line + "\n")
