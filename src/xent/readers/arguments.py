"""Vectors, labels and class names given on the command line."""

from __future__ import annotations

from ..errors import DataError, UsageError

# The article's five animals: the built-in vocabulary for five-class vectors.
ARTICLE_CLASSES = ("dog", "fox", "horse", "eagle", "squirrel")
ARTICLE_NOTE = "classes: the article's dog, fox, horse, eagle, squirrel (see --classes)"


def to_float(text: str) -> float:
    """A number as written in a file or an argument: ``float`` without its extensions
    (``1_000`` and non-ASCII digits such as ``١`` are not numbers here)."""
    if "_" in text or not text.isascii():
        raise ValueError(text)
    return float(text)


def shown(value, limit: int = 40) -> str:
    """``repr(value)``, cut short for an error message: the value may be a whole file."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 4]}...{text[-1]}"


def parse_vector(text: str, *, source: str) -> list[float]:
    """``"0.4,0.3,0.05,0.05,0.2"`` -> floats, naming the value that is not a number."""
    if not text.strip():
        raise DataError("no values given: expected numbers separated by commas", source=source)
    values = []
    for position, token in enumerate(text.strip().split(","), start=1):
        token = token.strip()
        try:
            values.append(to_float(token))
        except ValueError:
            what = shown(token) if token else "empty"
            raise DataError(f"value {position} is {what}, not a number", source=source) from None
    return values


def parse_class_names(text: str, *, source: str) -> list[str]:
    """``"dog,fox,horse"`` -> names; empty and repeated names are errors."""
    names = [name.strip() for name in text.split(",")]
    for position, name in enumerate(names, start=1):
        if not name:
            raise UsageError(f"class name {position} is empty", source=source)
    seen = set()
    for name in names:
        if name in seen:
            raise UsageError(f"class name {name!r} is given twice", source=source)
        seen.add(name)
    return names


def resolve_classes(
    n_classes: int, *, option: str | None, environ: dict[str, str]
) -> tuple[list[str], str | None]:
    """The class names for ``n_classes`` classes, and a note to show when they are a default.

    ``--classes`` comes first, then ``XENT_CLASSES``; with neither, five classes are the
    article's animals and any other count is numbered from 0.
    """
    for source, text in (("--classes", option), ("XENT_CLASSES", environ.get("XENT_CLASSES"))):
        if text is None or not text.strip():
            continue
        names = parse_class_names(text, source=source)
        if len(names) != n_classes:
            raise UsageError(
                f"{len(names)} class names given, but the vectors have {n_classes} values",
                source=source,
            )
        return names, None
    if n_classes == len(ARTICLE_CLASSES):
        return list(ARTICLE_CLASSES), ARTICLE_NOTE
    return [str(i) for i in range(n_classes)], None


def parse_label(text: str, classes: list[str], *, source: str, binary: bool = False):
    """A label as a class index (``int``) or a distribution (``list[float]``).

    One value is a class name, or else a class index; several values are a one-hot or
    soft distribution with one value per class. For a ``binary`` prediction (one
    probability of the second class) one value may also be a soft label y in [0, 1],
    returned as the distribution [1 - y, y].
    """
    tokens = [t.strip() for t in text.split(",")]
    if len(tokens) == 1:
        token = tokens[0]
        if token in classes:
            return classes.index(token)
        if binary:
            (y,) = parse_vector(token, source=source)
            return [1.0 - y, y]
        try:
            index = int(token)
        except ValueError:
            known = ", ".join(classes)
            raise DataError(
                f"unknown class {shown(token)}: the classes are {known}", source=source
            ) from None
        if not 0 <= index < len(classes):
            raise DataError(
                f"class index {index} is out of range: there are {len(classes)} classes "
                f"(0 to {len(classes) - 1})",
                source=source,
            )
        return index
    values = parse_vector(text, source=source)
    if len(values) != len(classes):
        raise DataError(
            f"{len(values)} values given, but there are {len(classes)} classes", source=source
        )
    return values
