"""Per-row output of a file (``--reduction none``), written chunk by chunk as it is
scored: rows in = rows out, in input order.

csv has a header (``row,label,cross_entropy,predicted,line``); json is JSON Lines, one
object a row; plain is one number a line; table is aligned text for a terminal.
"""

from __future__ import annotations

import csv
import json

from .numbers import full_precision, json_number
from .text import ascii_json, require_encodable, visible

ROW_HEADER = ["row", "label", "cross_entropy", "predicted", "line"]


def _positive_names(values, names: list[str]) -> list[str]:
    """Multi-label rows as a file names them: the classes at 0.5 or more, joined by ``|``
    (the labels y, or the predicted probabilities Q)."""
    return ["|".join(names[i] for i in row.nonzero()[0]) for row in values >= 0.5]


class RowWriter:
    def __init__(
        self,
        fmt: str,
        out,
        classes: list[str],
        *,
        numbered: str = "line",
        precision: int = 4,
        tokens: bool = False,
    ) -> None:
        self.fmt, self.out, self.classes = fmt, out, classes
        # Token rows (a logprobs file): no label or prediction, only each token's loss
        # (empty in CSV, null in JSON, left out of the table).
        self.tokens = tokens
        self.precision = precision
        self.rows = 0
        self.header = ROW_HEADER if numbered == "line" else [*ROW_HEADER[:-1], "source_row"]
        self.started = False

    def _start(self) -> None:
        self.started = True
        self.ascii_json = ascii_json(self.out)
        if self.fmt == "csv":
            require_encodable(self.out, self.classes, "class name")
            csv.writer(self.out, lineterminator="\n").writerow(self.header)
        elif self.fmt == "table":
            tail = "" if self.tokens else "  label → predicted"
            self.out.write(f"{'row':>8}  {'line':>8}  {'cross-entropy':>14}{tail}\n")

    def write(self, scored) -> None:
        if not self.started:
            self._start()
        names = self.classes
        first = self.rows + 1
        self.rows += len(scored.losses)
        rows = range(first, self.rows + 1)
        lines = scored.lines.tolist()
        if scored.labels is None:  # multi-label: the positive classes, as a file writes them
            labels = _positive_names(scored.positives, names)
            predicted = _positive_names(scored.probabilities, names)
        else:
            labels = [names[i] for i in scored.labels.tolist()]
            # A logprobs file's tokens have no arg-max: nothing is predicted but the token.
            found = scored.labels if scored.predicted is None else scored.predicted
            predicted = [names[i] for i in found.tolist()]
        if self.tokens:
            labels = predicted = [""] * len(scored.losses)
        losses = [full_precision(x) for x in scored.losses.tolist()]
        blank = None if self.tokens else ""  # JSON's null for a token's label and prediction
        if self.fmt == "plain":
            self.out.write("".join(x + "\n" for x in losses))
        elif self.fmt == "csv":
            csv.writer(self.out, lineterminator="\n").writerows(
                zip(rows, labels, losses, predicted, lines)
            )
        elif self.fmt == "json":
            keys = [*self.header[:2], "cross_entropy", "predicted", self.header[-1]]
            self.out.write(
                "".join(
                    json.dumps(
                        dict(zip(keys, (r, lab or blank, json_number(x), p or blank, n))),
                        ensure_ascii=self.ascii_json,
                    )
                    + "\n"
                    for r, lab, x, p, n in zip(
                        rows, labels, scored.losses.tolist(), predicted, lines
                    )
                )
            )
        else:
            shown = f"{{:>14.{self.precision}f}}"
            if self.tokens:
                self.out.write(
                    "".join(
                        f"{r:>8}  {n:>8}  {shown.format(float(x))}\n"
                        for r, n, x in zip(rows, lines, losses)
                    )
                )
                return
            self.out.write(
                "".join(
                    f"{r:>8}  {n:>8}  {shown.format(float(x))}  {visible(lab)} → {visible(p)}\n"
                    for r, n, x, lab, p in zip(rows, lines, losses, labels, predicted)
                )
            )

    def finish(self) -> None:
        if not self.started and self.fmt in ("csv", "table"):
            self._start()
