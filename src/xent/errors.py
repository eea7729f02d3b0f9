"""Errors and exit statuses shared by every layer.

Only the standard library is used here, so the engine, the readers and the CLI can all raise
these without importing each other. The CLI turns them into one line on stderr:
``xent: preds.csv:12:3: 'abc' is not a number``.

Errors name parameters, never command-line flags: an error about an option carries
``parameter="renormalize"``, and a hint in its text names one with :func:`param`
(``f"... ({param('renormalize', True)} divides by the sum)"``). Python reads
``renormalize=True``; the CLI, which alone knows flags, spells the same text with
:meth:`XentError.spelled` as ``--renormalize``.
"""

from __future__ import annotations

from enum import IntEnum

TYPE_CHECKING = False  # typing costs ~4 ms to import; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable

# A parameter inside an error's text: OPEN name [SEP python-value SEP cli-value] CLOSE.
# Control characters (STX, US, ETX): never left in a rendered message, and written as
# escapes by the CLI if ever they were.
_OPEN, _SEP, _CLOSE = "\x02", "\x1f", "\x03"
_PARAMETER = "\x02([A-Za-z_][A-Za-z0-9_]*)(?:\x1f([^\x1f\x03]*)\x1f([^\x03]*))?\x03"
_NO_VALUE = object()


def param(name: str, value: object = _NO_VALUE, *, cli: str | None = None) -> str:
    """A parameter named in an error's text, spelled for whoever reads it.

    ``param("renormalize", True)`` reads ``renormalize=True`` in Python and ``--renormalize``
    on the command line; ``param("reduction", "none")``: ``reduction='none'`` and
    ``--reduction none``; ``param("top_k")``: ``top_k`` and ``--top-k``. ``cli`` is what
    follows the flag when it differs from the value (a metavar: ``--id COLUMN``).
    """
    if value is _NO_VALUE and cli is None:
        return f"{_OPEN}{name}{_CLOSE}"
    python = "" if value is _NO_VALUE else f"={value!r}"
    if cli is None:
        cli = "" if value is True else str(value)
    return f"{_OPEN}{name}{_SEP}{python}{_SEP}{cli}{_CLOSE}"


def column_list(names) -> str:
    """Column names as a shell word that ``--ignore-columns`` reads back: comma-separated,
    quoted as in CSV, then for the shell (``fold``; ``'"a,b",id'``; ``'""'``, no name)."""
    import csv
    import io
    import shlex

    listed = io.StringIO()
    csv.writer(listed, lineterminator="").writerow(list(names))
    return shlex.quote(listed.getvalue())


def spell(text: str, flag: Callable[[str], str] | None = None) -> str:
    """``text`` with each :func:`param` written out: as a Python parameter (``top_k=3``),
    or, given ``flag`` (a parameter's name -> its flag), as the command line has it
    (``--top-k 3``)."""
    if _OPEN not in text:
        return text
    import re  # only for a text that names a parameter: `import xent` stays cheap

    def one(match: re.Match) -> str:
        name, python, cli = match.groups()
        if flag is None:
            return name + (python or "")
        return flag(name) + (f" {cli}" if cli else "")

    return re.sub(_PARAMETER, one, text)


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
    ``parameter`` names the option at fault (``"base"``) when no other place is known: the
    error's place, ``base`` in Python, ``--base`` on the command line.
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
        parameter: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        if source is None and parameter is not None:
            source = param(parameter)
        self.source = source
        self.line = line
        self.column = column
        self.row = row
        self.number: int | None = None

    def where(self) -> str:
        parts = [str(p) for p in (self.source, self.line, self.column) if p is not None]
        return ":".join(parts)

    def spelled(self, flag: Callable[[str], str] | None = None) -> str:
        """The whole message, its parameters written as :func:`spell` says."""
        where = self.where()
        return spell(f"{where}: {self.message}" if where else self.message, flag)

    def __str__(self) -> str:
        return self.spelled()


class DataError(XentError):
    """The data is wrong: not a number, not a distribution, an unknown label (exit 1)."""


class NoRows(DataError):
    """A file with no rows (a header alone): an error for one file; one empty part of a
    dataset of several adds no rows."""


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
