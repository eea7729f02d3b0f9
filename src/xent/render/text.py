"""Text from the input, made safe to show (standard library only).

- :func:`visible`: control characters (``ESC``, ``NUL``, newlines, C1 controls, the bidi
  overrides) are written as visible escapes, ``\\x1b``, ``\\u202e``: text from a file or
  an argument never moves the cursor or recolours a terminal. Used by every view for
  people (table, explain) and by the error line on stderr. Machine formats (json, csv,
  plain) keep the exact text: json escapes control characters itself, csv quotes fields
  as RFC 4180 says and leaves the bytes as they were, for the program that reads it.
- :func:`fallback`: text for a stream whose encoding cannot hold it (an ASCII terminal):
  xent's own symbols become ASCII (``−`` ``-``, ``·`` ``*``, ``█`` ``#``), anything else an
  escape (``\\xe7``).
- :func:`require_encodable`: machine formats check every name they will write before the
  first byte; a name the encoding cannot hold is one line, exit 2, and nothing written.
"""

from __future__ import annotations

import codecs
import re

from ..errors import UsageError

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written as an escape: ``\\x1b[31mred``."""
    return _CONTROL.sub(_escape, str(text))


def html_text(value) -> str:
    """Text from the input, safe in HTML: control characters as escapes, then escaped."""
    from html import escape

    return escape(visible(str(value)))


# What XML 1.0 cannot hold at all, escaped or not: U+FFFE, U+FFFF, lone surrogates.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with the characters XML forbids (a file name may hold them) as escapes:
    ``\\ufffe``, and ``\\xff`` for a byte of a name that is not UTF-8."""
    return _NOT_XML.sub(_xml_escape, text)


def _xml_escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


# xent's own symbols, in ASCII; one character for one where they sit in table cells.
ASCII_SYMBOLS = {
    "−": "-",
    "·": "*",
    "‖": "|",
    "Σ": "sum",
    "◀": "<",
    "█": "#",
    "▏": "+",
    "▎": "+",
    "▍": "+",
    "▌": "+",
    "▋": "+",
    "▊": "+",
    "▉": "+",
    "∞": "inf",
    "“": '"',
    "”": '"',
    "—": "-",
    "–": "-",
    "…": "...",
    "½": "1/2",
    "²": "^2",
    "→": "->",
    "─": "-",
    "━": "-",
    **{chr(0x2080 + d): str(d) for d in range(10)},  # subscript digits: log₂, log₁₀
}


def is_unicode(encoding: str | None) -> bool:
    """Whether ``encoding`` holds every character (UTF-8, -16, -32; None is a StringIO)."""
    if not encoding:
        return True
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name.startswith("utf")


def fallback(text: str, encoding: str) -> str:
    """``text`` in characters ``encoding`` holds: ASCII symbols, else escapes."""
    out = []
    for ch in text:
        try:
            ch.encode(encoding)
            out.append(ch)
        except UnicodeEncodeError:
            out.append(
                ASCII_SYMBOLS.get(ch) or ch.encode(encoding, "backslashreplace").decode(encoding)
            )
    return "".join(out)


def stream_encoding(out) -> str | None:
    return getattr(out, "encoding", None)


def require_encodable(out, texts, what: str = "name") -> None:
    """Refuse, before anything is written, a text that ``out``'s encoding cannot hold."""
    encoding = stream_encoding(out)
    if is_unicode(encoding):
        return
    assert encoding is not None  # None (a StringIO) holds every character
    for text in texts:
        try:
            str(text).encode(encoding)
        except UnicodeEncodeError:
            raise UsageError(
                f"the {what} {text!r} cannot be written in the output's encoding ({encoding}): "
                "set PYTHONIOENCODING=utf-8, or write a UTF-8 file with -o FILE",
                source="stdout",
            ) from None


def ascii_json(out) -> bool:
    """Whether json to ``out`` must escape non-ASCII (``\\u00e7``): exact either way."""
    return not is_unicode(stream_encoding(out))


def versioned(data):
    """A JSON document with ``xent_version`` first (pip's ``inspect`` puts its
    ``pip_version`` there too): which xent wrote it. The other lines stay as they were."""
    if not isinstance(data, dict):
        return data
    from .._version import version

    return {"xent_version": version(), **data}


def write_json(data, out) -> None:
    """``data`` as strict JSON (no NaN or Infinity), indented, with a final newline, carrying
    the version of xent that wrote it (``xent_version``)."""
    import json

    json.dump(versioned(data), out, indent=2, ensure_ascii=ascii_json(out), allow_nan=False)
    out.write("\n")
