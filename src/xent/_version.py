"""xent's version, as installed: the ``Version`` field of its distribution's metadata.

``pyproject.toml`` is the one place the version is written; installing xent copies it into
the metadata (``xent-X.Y.Z.dist-info/METADATA``), which is what ``importlib.metadata``
reads. Only ``xent --version``, the JSON outputs and the HTML report ask for it, at their
first use.

``importlib.metadata`` costs about 25 ms to import (it parses metadata with the ``email``
package): a fifth of a JSON command's start-up. So the metadata file is first looked up
the way ``importlib.metadata``'s path finder looks for it (the first ``xent-*.dist-info``
or ``xent*.egg-info`` directory along ``sys.path``) and its ``Version:`` header read; where
that finds nothing (a zip import, another finder), ``importlib.metadata`` answers. A test
checks that both give the same version.
"""

from __future__ import annotations

import os
import sys

NAME = "xent"
UNKNOWN = "0+unknown"  # running from a source tree that was never installed

_cached: str | None = None


def version() -> str:
    """The installed version of xent (``0.3.0``), looked up once."""
    global _cached
    if _cached is None:
        _cached = _from_path() or _from_importlib() or UNKNOWN
    return _cached


def _metadata_file(entry: str) -> str | None:
    """The METADATA (or PKG-INFO) of xent's distribution in one ``sys.path`` directory."""
    try:
        names = os.listdir(entry or ".")
    except OSError:  # not a directory (a zip file), or gone
        return None
    for name in sorted(names):
        lower = name.lower()
        if lower.startswith(NAME + "-") and lower.endswith(".dist-info"):
            return os.path.join(entry, name, "METADATA")
        if lower.startswith((NAME + "-", NAME + ".")) and lower.endswith(".egg-info"):
            path = os.path.join(entry, name)
            return os.path.join(path, "PKG-INFO") if os.path.isdir(path) else path
    return None


def _from_path() -> str | None:
    for entry in sys.path:
        path = _metadata_file(entry)
        if path is None:
            continue
        try:
            with open(path, encoding="utf-8") as metadata:
                for line in metadata:
                    if not line.strip():  # the end of the headers
                        break
                    if line.startswith("Version:"):
                        return line.partition(":")[2].strip()
        except OSError:
            pass
        return None  # the distribution found first is the one importlib.metadata reads
    return None


def _from_importlib() -> str | None:
    from importlib import metadata

    try:
        return metadata.version(NAME)
    except metadata.PackageNotFoundError:
        return None
