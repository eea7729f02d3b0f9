"""Errors and exit statuses shared by every layer.

Only the standard library is used here, so the engine, the readers and the CLI can all raise
these without importing each other. The CLI turns them into one line on stderr:
``xent: preds.csv:12:3: 'abc' is not a number``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """What ``xent`` returns to the shell."""

    OK = 0
    BAD_DATA = 1
    BAD_USAGE = 2
    GATE_FAILED = 3  # --fail-above / --fail-if-worse: the output is whole, the check failed
    NO_RESOURCES = 71  # out of memory, a worker process killed: the machine, not the input
    INTERRUPTED = 130


class XentError(Exception):
    """A problem with the user's input, located as precisely as we know.

    ``source`` is an argument (``--pred``) or a file name, ``line`` and ``column`` are 1-based.
    ``row`` is the 0-based row of a batch for errors raised by the engine, which knows rows
    but not where they came from; whoever does know replaces it with a source and a line.
    ``number`` is the 1-based row of a JSON document, for errors placed by row, not by line.
    """

    exit_status = ExitStatus.BAD_DATA

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        row: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.row = row
        self.number: int | None = None

    def where(self) -> str:
        parts = [str(p) for p in (self.source, self.line, self.column) if p is not None]
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class DataError(XentError):
    """The data is wrong: not a number, not a distribution, an unknown label (exit 1)."""


class UsageError(XentError):
    """The command line is wrong: a bad option value or a missing input (exit 2)."""

    exit_status = ExitStatus.BAD_USAGE


class InvalidProbabilities(DataError):
    """A vector that should be a probability distribution is not one.

    ``what`` says which: ``prediction``, ``label``, ``distribution`` or ``logits``.
    """

    what: str = "prediction"


class GateFailed(XentError):
    """A gate for scripts held (``--fail-above``, ``--fail-if-worse``): the output was
    written in full; the status says the check failed (exit 3)."""

    exit_status = ExitStatus.GATE_FAILED


class ResourceError(XentError):
    """The machine failed the run, not the input: out of memory, a worker process killed
    (exit 71, ``EX_OSERR``)."""

    exit_status = ExitStatus.NO_RESOURCES
