"""Files of token log-probabilities returned by language-model APIs: one response a line
(JSON Lines) or one JSON document (a response, or a list of them). Read only: each token
becomes a row of a ``tokens`` chunk (its log-probability, its bytes, the log-probs of the
other tokens listed at its position); the scorer makes its surprisal.

The modes (``ReadOptions.logprobs_mode``; ``auto`` tells them by the first response):

- ``chat``: OpenAI chat completions, ``choices[].logprobs.content[]``, each with
  ``token``, ``logprob``, ``bytes`` (a list of the token's UTF-8 bytes, or null) and
  ``top_logprobs`` (at most 20 ``{token, logprob, bytes}``). A log-prob of −9999 means
  "not among the top 20": such an entry of ``top_logprobs`` is left out; the token's own
  is an error (its probability is unknown).
- ``completions``: OpenAI legacy completions, ``choices[].logprobs.tokens``,
  ``token_logprobs`` and ``top_logprobs`` (a dict token → log-prob per position, or null).
  A null ``token_logprobs`` entry (the first token of an echoed prompt) is left out.
- ``vllm``: vLLM's sampled tokens, ``outputs[].logprobs`` (a dict token id → ``{logprob,
  rank, decoded_token}`` per position, the sampled token among them: ``outputs[].token_ids``
  names it) as ``LLM.generate``'s outputs are saved.
- ``vllm-prompt``: vLLM's ``prompt_logprobs`` (the same dicts, the first entry null: the
  first prompt token has no log-prob), at the top of a response or in its ``choices[]``;
  ``prompt_token_ids`` names each position's token. ``auto`` takes the sampled tokens when
  a response has them, else the prompt's.

A document is a response's choice (``chat``, ``completions``), output (``vllm``) or prompt
(``vllm-prompt``): it is named by its line (its position in a JSON document) and, when a
response has several, ``/`` its index.

Bytes: ``chat`` counts a token's ``bytes``; without them, and in the other modes, the UTF-8
length of the token's text (a legacy ``bytes:\\xe2\\x80`` token: its escapes). Words: a
document's count is lm-evaluation-harness' ``len(re.split(r"\\s+", text))`` of its tokens'
text joined, put on its first token.

Checks (one line naming the file, the line or response and the token): the fields the mode
needs; a log-prob that is a number, not above 0 (values up to :data:`ROUNDING` above are
read as 0), not NaN; the listed tokens' probabilities summing to at most 1 + ROUNDING.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator

import numpy as np

from ..errors import DataError, param
from ..rules import LOGPROBS_MODES as MODES  # noqa: F401  (re-exported)
from .chunks import CHUNK_ROWS, ErrorPolicy, PredictionChunk
from .limits import check_json_depth, limit, too_long
from .read_options import ReadOptions
from .text_chunks import BOM, decode

# How far above 0 a log-prob, and above 1 the listed probabilities' sum, may be (rounding
# in the API's output): a log-prob within it is read as 0.
ROUNDING = 1e-5
# OpenAI's log-prob of a token outside the top 20.
NOT_IN_TOP = -9999.0
DOCUMENT = "response"  # the column that names each row's document
WORDS = re.compile(r"\s+")


class Token:
    """One scored token: its log-prob, bytes, text and the other listed tokens' log-probs."""

    __slots__ = ("logprob", "bytes", "text", "others")

    def __init__(self, logprob: float, n_bytes: int, text: str, others: list[float]) -> None:
        self.logprob, self.bytes, self.text, self.others = logprob, n_bytes, text, others


def is_logprobs_record(row) -> bool:
    """Whether a parsed JSON value looks like an API response with log-probs."""
    if isinstance(row, list):
        return bool(row) and is_logprobs_record(row[0])
    if not isinstance(row, dict):
        return False
    if "prompt_logprobs" in row or ("outputs" in row and isinstance(row["outputs"], list)):
        return True
    choices = row.get("choices")
    return (
        isinstance(choices, list)
        and bool(choices)
        and isinstance(choices[0], dict)
        and ("logprobs" in choices[0] or "prompt_logprobs" in choices[0])
    )


def mode_of(record) -> str | None:
    """The mode of a response, from its structure; None when it has no log-probs."""
    if not isinstance(record, dict):
        return None
    outputs = record.get("outputs")
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], dict):
        if outputs[0].get("logprobs") is not None:
            return "vllm"
    choices = record.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        logprobs = choices[0].get("logprobs")
        if isinstance(logprobs, dict) and "content" in logprobs:
            return "chat"
        if isinstance(logprobs, dict) and "token_logprobs" in logprobs:
            return "completions"
        if choices[0].get("prompt_logprobs") is not None:
            return "vllm-prompt"
    if record.get("prompt_logprobs") is not None:
        return "vllm-prompt"
    return None


class Bad(Exception):
    """A problem in a response, placed by the reader (its line or position)."""


def _number(value, what: str) -> float:
    kind = type(value)
    if kind is float:  # the common case first: JSON's numbers are floats
        if value != value:
            raise Bad(f"{what} is NaN")
        return value
    if kind is not int:  # (a bool is not a number here)
        raise Bad(f"{what} is {json.dumps(value)[:40]}, not a number")
    try:
        return float(value)
    except OverflowError:  # an integer beyond the float range
        raise Bad(f"{what} is {str(value)[:20]}..., out of range") from None


def _logprob(value, what: str) -> float:
    """A checked log-prob: a number, at most 0 (within ROUNDING, read as 0)."""
    x = _number(value, what)
    if x > 0:
        if x > ROUNDING:
            raise Bad(f"{what} is {x!r}, above 0: not a log-probability")
        return 0.0
    return x


def _field(obj, key: str, kind, where: str):
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind):
        name = {list: "a list", dict: "an object", str: "a text"}.get(kind, "present")
        raise Bad(f"{where}{key} is {'missing' if value is None else 'not ' + name}")
    return value


def _utf8(text: str) -> int:
    if text.startswith("bytes:") and "\\x" in text:  # legacy: bytes:\xe2\x80
        return text.count("\\x")
    return len(text.encode("utf-8", "surrogatepass"))


def _checked_mass(token: Token, at: str) -> Token:
    """The listed probabilities (the token's and the others') sum to at most 1."""
    mass = sum(map(math.exp, token.others), math.exp(token.logprob))
    if mass > 1 + ROUNDING:
        raise Bad(
            f"{at}: the listed tokens' probabilities sum to {mass:.6g}, more than 1: not the "
            "log-probs of one distribution"
        )
    return token


# ----------------------------------------------------------------------------- chat


def _chat_bytes(entry, at: str) -> int:
    raw = entry.get("bytes")
    if raw is None:
        return _utf8(entry["token"])
    if type(raw) is not list or not all(type(b) is int and 0 <= b <= 255 for b in raw):
        raise Bad(f"{at}: bytes is not a list of byte values (integers 0 to 255)")
    return len(raw)


def chat_tokens(choice) -> Iterator[Token]:
    content = _field(_field(choice, "logprobs", dict, ""), "content", list, "logprobs.")
    for i, entry in enumerate(content, 1):
        at = f"token {i}"
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            raise Bad(f"{at}: expected an object with token and logprob")
        if "logprob" not in entry:
            raise Bad(f"{at}: no logprob")
        lp = _number(entry["logprob"], f"{at}: logprob")
        if lp == NOT_IN_TOP:
            raise Bad(
                f"{at}: logprob is -9999 (OpenAI: not among the top 20): its probability is unknown"
            )
        lp = _logprob(lp, f"{at}: logprob")
        others, own = [], False
        listed = entry.get("top_logprobs")
        if listed is not None and not isinstance(listed, list):
            raise Bad(f"{at}: top_logprobs is not a list")
        for j, top in enumerate(listed or [], 1):
            if not isinstance(top, dict) or not isinstance(top.get("token"), str):
                raise Bad(f"{at}: top_logprobs entry {j} has no token")
            x = _number(top.get("logprob"), f"{at}: top_logprobs entry {j}'s logprob")
            if x == NOT_IN_TOP:
                continue
            x = _logprob(x, f"{at}: top_logprobs entry {j}'s logprob")
            if not own and top["token"] == entry["token"] and abs(x - lp) <= ROUNDING:
                own = True  # the token itself, listed
                continue
            others.append(x)
        token = Token(lp, _chat_bytes(entry, at), entry["token"], others)
        yield _checked_mass(token, at)


# ----------------------------------------------------------------------- completions


def completion_tokens(choice) -> Iterator[Token]:
    logprobs = _field(choice, "logprobs", dict, "")
    texts = _field(logprobs, "tokens", list, "logprobs.")
    values = _field(logprobs, "token_logprobs", list, "logprobs.")
    tops = logprobs.get("top_logprobs")
    if tops is None:
        tops = [None] * len(texts)
    if not isinstance(tops, list):
        raise Bad("logprobs.top_logprobs is not a list")
    if not (len(texts) == len(values) == len(tops)):
        raise Bad(
            f"logprobs.tokens, token_logprobs and top_logprobs have {len(texts)}, "
            f"{len(values)} and {len(tops)} entries: expected one per token"
        )
    for i, (text, value, top) in enumerate(zip(texts, values, tops), 1):
        at = f"token {i}"
        if value is None:
            continue  # the first token of an echoed prompt
        if not isinstance(text, str):
            raise Bad(f"{at}: the token is not a text")
        lp = _logprob(value, f"{at}: token_logprobs")
        if top is not None and not isinstance(top, dict):
            raise Bad(f"{at}: top_logprobs is not an object of token: logprob")
        others = [
            _logprob(x, f"{at}: top_logprobs[{json.dumps(t)}]")
            for t, x in (top or {}).items()
            if t != text
        ]
        yield _checked_mass(Token(lp, _utf8(text), text, others), at)


# ----------------------------------------------------------------------------- vLLM


def vllm_tokens(positions: list, ids: list | None, first_null: bool) -> Iterator[Token]:
    """The tokens of vLLM's per-position dicts (token id → {logprob, rank, decoded_token});
    ``ids``: the token at each position (the dict's only entry when absent)."""
    if ids is not None and not isinstance(ids, list):
        raise Bad("the token ids are not a list")
    if ids is not None and len(ids) != len(positions):
        raise Bad(f"{len(positions)} positions of log-probs for {len(ids)} token ids")
    for i, entry in enumerate(positions):
        at = f"token {i + 1}"
        if entry is None and i == 0 and first_null:
            continue
        if not isinstance(entry, dict) or not entry:
            raise Bad(f"{at}: expected an object of token id: {{logprob, ...}}")
        key = str(ids[i]) if ids is not None else (next(iter(entry)) if len(entry) == 1 else None)
        if key is None:
            raise Bad(f"{at}: several tokens listed and no token ids to tell which came")
        if key not in entry:
            raise Bad(f"{at}: the token {key} is not among the listed ones")
        lps = {}
        for k, item in entry.items():
            value = item.get("logprob") if isinstance(item, dict) else item
            lps[k] = _logprob(value, f"{at}: token {k}'s logprob")
        text = entry[key].get("decoded_token") if isinstance(entry[key], dict) else None
        if not isinstance(text, str):
            raise Bad(f"{at}: no decoded_token: the token's bytes are unknown")
        others = [x for k, x in lps.items() if k != key]
        yield _checked_mass(Token(lps[key], _utf8(text), text, others), at)


def documents(record, mode: str) -> Iterator[tuple[str, Iterator[Token]]]:
    """(index, tokens) of each document of a response ("" for the only one)."""
    if not isinstance(record, dict):
        raise Bad("expected a response object")
    if mode == "vllm":
        outputs = _field(record, "outputs", list, "")
        for j, out in enumerate(outputs):
            positions = _field(out, "logprobs", list, f"outputs[{j}].")
            ids = out.get("token_ids")  # (out is an object: _field says so otherwise)
            yield _index(out, j, len(outputs)), vllm_tokens(positions, ids, False)
        return
    if mode == "vllm-prompt":
        holders = [record] if record.get("prompt_logprobs") is not None else []
        holders = holders or [c for c in record.get("choices") or [] if isinstance(c, dict)]
        if not holders:
            raise Bad("no prompt_logprobs")
        for j, holder in enumerate(holders):
            positions = _field(holder, "prompt_logprobs", list, "")
            ids = holder.get("prompt_token_ids", record.get("prompt_token_ids"))
            yield _index(holder, j, len(holders)), vllm_tokens(positions, ids, True)
        return
    choices = _field(record, "choices", list, "")
    read = chat_tokens if mode == "chat" else completion_tokens
    for j, choice in enumerate(choices):
        if not isinstance(choice, dict):
            raise Bad(f"choices[{j}] is not an object")
        yield _index(choice, j, len(choices)), read(choice)


def _index(item, j: int, count: int) -> str:
    if count == 1:
        return ""
    index = item.get("index") if isinstance(item, dict) else None
    return f"/{index if isinstance(index, int) else j}"


# ------------------------------------------------------------------------ the reader


class Builder:
    """Tokens packed into chunks of about :data:`CHUNK_ROWS` rows."""

    def __init__(self, numbered: str) -> None:
        self.numbered = numbered
        self.reset()

    def reset(self) -> None:
        self.logprobs: list[float] = []
        self.bytes: list[int] = []
        self.words: list[int] = []
        self.lines: list[int] = []
        self.names: list[str] = []
        self.others: list[list[float]] = []
        self.skipped: list[DataError] = []

    def add(self, number: int, index: str, tokens: list[Token]) -> None:
        if not tokens:
            return
        name = f"{number}{index}"
        text = "".join(t.text for t in tokens)
        self.words += [len(WORDS.split(text))] + [0] * (len(tokens) - 1)
        self.logprobs += [t.logprob for t in tokens]
        self.bytes += [t.bytes for t in tokens]
        self.others += [t.others for t in tokens]
        self.lines += [number] * len(tokens)
        self.names += [name] * len(tokens)

    def chunk(self, position: int) -> PredictionChunk:
        n = len(self.logprobs)
        k = max((len(o) for o in self.others), default=0)
        top = np.full((n, k), np.nan)
        for i, others in enumerate(self.others):
            top[i, : len(others)] = others
        chunk = PredictionChunk(
            classes=["token"],
            values=np.array(self.logprobs, dtype=np.float64).reshape(n, 1),
            lines=np.array(self.lines, dtype=np.int64),
            labels=np.zeros(n, dtype=np.intp),
            skipped=self.skipped,
            position=position,
            numbered=self.numbered,
            task="tokens",
            columns={DOCUMENT: self.names},
            counts={
                "bytes": np.array(self.bytes, dtype=np.int64),
                "words": np.array(self.words, dtype=np.int64),
            },
            top_logprobs=top if k else None,
        )
        self.reset()
        return chunk


class Records:
    """Responses in, documents' tokens into the builder, errors placed or skipped."""

    def __init__(self, source: str, options: ReadOptions, numbered: str) -> None:
        self.source, self.mode = source, options.logprobs_mode
        self.told_at: int | None = None
        self.policy = ErrorPolicy(options.on_error)
        self.builder = Builder(numbered)

    def error(self, message: str, number: int) -> DataError:
        if self.builder.numbered == "line":
            return DataError(message, source=self.source, line=number)
        return DataError(f"response {number}: {message}", source=self.source)

    def add(self, record, number: int) -> None:
        if self.mode == "auto":
            told = mode_of(record)
            if told is None:
                self.policy(self.error(_no_logprobs(record), number), self.builder.skipped)
                return
            self.mode, self.told_at = told, number
        try:
            found = [(index, list(tokens)) for index, tokens in documents(record, self.mode)]
        except Bad as bad:
            where = "line" if self.builder.numbered == "line" else "response"
            told = f" ({self.mode} mode, told by {where} {self.told_at})" if self.told_at else ""
            self.policy(self.error(f"{bad}{told}", number), self.builder.skipped)
            return
        for index, tokens in found:
            self.builder.add(number, index, tokens)

    def full(self) -> bool:
        return len(self.builder.logprobs) >= CHUNK_ROWS


def _no_logprobs(record) -> str:
    keys = ", ".join(list(record)[:8]) if isinstance(record, dict) else type(record).__name__
    return (
        "no log-probs: expected choices[].logprobs (OpenAI), outputs[].logprobs or "
        f"prompt_logprobs (vLLM); found {keys or 'an empty object'} "
        f"({param('logprobs_mode')} says which)"
    )


def read_logprobs_chunks(stream, source: str, options: ReadOptions, jsonl: bool):
    """Chunks of token rows from a logprobs file (JSON Lines, else one JSON document)."""
    if options.label_column is None:
        raise DataError(
            "a logprobs file holds the log-prob of each token that came, not rows of "
            "distributions: xent compute scores it",
            source=source,
        )
    other = [c for c in options.keep_columns if c != DOCUMENT]
    if other:
        raise DataError(
            f"a logprobs file has no column {other[0]!r}: its one column is {DOCUMENT!r} "
            "(each token's document)",
            source=source,
        )
    return _jsonl(stream, source, options) if jsonl else _document(stream, source, options)


def _jsonl(stream, source: str, options: ReadOptions) -> Iterator[PredictionChunk]:
    records = Records(source, options, "line")
    max_line = limit("XENT_MAX_LINE_BYTES")
    max_depth = limit("XENT_MAX_JSON_DEPTH")
    number = position = 0
    while raw := stream.readline(max_line + 1):
        number += 1
        position += len(raw)
        if len(raw) > max_line:
            raise DataError(
                too_long("the line", max_line, "XENT_MAX_LINE_BYTES"), source=source, line=number
            )
        if raw.count(b"[") + raw.count(b"{") > max_depth:
            check_json_depth(raw, source, number)
        text = decode(raw.removeprefix(BOM) if number == 1 else raw, source, number)
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            why = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deep"
            records.policy(records.error(f"invalid JSON: {why}", number), records.builder.skipped)
            continue
        records.add(record, number)
        if records.full():
            yield records.builder.chunk(position)
    if records.builder.logprobs or records.builder.skipped:
        yield records.builder.chunk(position)


def _document(stream, source: str, options: ReadOptions) -> Iterator[PredictionChunk]:
    from .json_rows import load_json_document

    data, size = load_json_document(stream, source, "response")
    records = Records(source, options, "line" if isinstance(data, dict) else "row")
    for number, record in enumerate(data if isinstance(data, list) else [data], 1):
        records.add(record, number)
        if records.full():
            yield records.builder.chunk(size)
    if records.builder.logprobs or records.builder.skipped:
        yield records.builder.chunk(size)
