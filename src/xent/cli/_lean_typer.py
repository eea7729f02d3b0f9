"""Import Typer without the modules that a computation never uses.

``import typer`` also imports, at once, what only a few rare paths need: its shell
completion (``typer.completion``, shellingham), ``subprocess`` (for ``typer.launch``),
``urllib.parse`` (``pathlib`` takes it for ``Path.as_uri``),
``difflib`` (to suggest a command for a typo), ``shutil`` (the terminal's width, for
the help; it imports bz2, lzma and zlib) and ``gettext`` (to translate a message).
Together about a third of Typer's import time, paid by every ``xent`` command.

While Typer is imported, those modules are stand-ins: a function imported from one is a
wrapper that imports the real module at its first call; any other attribute imports it at
once. When Typer is in, the stand-ins leave ``sys.modules``, so a later ``import`` anywhere
gets the real module, and a stand-in kept by one of Typer's modules forwards to it. Nothing
changes but when the import happens; if anything goes wrong, Typer is imported plainly.
"""

from __future__ import annotations

import sys
import types

# module -> the functions that Typer (or a module it imports) takes from it by name.
DEFERRED: dict[str, tuple[str, ...]] = {
    "typer.completion": ("get_completion_inspect_parameters",),
    "subprocess": (),
    "urllib.parse": ("quote_from_bytes",),
    "difflib": ("get_close_matches",),
    "shutil": ("get_terminal_size",),  # with bz2, lzma, zlib and fnmatch: for --help only
    "gettext": ("gettext",),  # Typer's messages (help, errors), translated: 0.6 ms
}


def _real(name: str) -> types.ModuleType:
    module = sys.modules.get(name)
    if isinstance(module, _StandIn):
        del sys.modules[name]
        module = None
    if module is None:
        __import__(name)  # the import statement's way: `python -X importtime` shows it
        module = sys.modules[name]
    return module


def _wrapper(module: str, function: str):
    def call(*args, **kwargs):
        return getattr(_real(module), function)(*args, **kwargs)

    call.__name__ = call.__qualname__ = function
    call.__doc__ = f"``{module}.{function}``, imported at the first call."
    return call


class _StandIn(types.ModuleType):
    def __init__(self, name: str, functions: tuple[str, ...]) -> None:
        super().__init__(name)
        for function in functions:
            setattr(self, function, _wrapper(name, function))

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):  # import-system probes (__path__, __spec__, ...)
            raise AttributeError(attribute)
        return getattr(_real(self.__name__), attribute)


def import_typer() -> types.ModuleType:
    if "typer" in sys.modules:
        return sys.modules["typer"]
    placed = []
    for name, functions in DEFERRED.items():
        if name not in sys.modules:
            sys.modules[name] = _StandIn(name, functions)
            placed.append(name)
    try:
        import typer

        return typer
    except Exception:
        pass
    finally:
        for name in placed:
            if isinstance(sys.modules.get(name), _StandIn):
                del sys.modules[name]
    # A Typer this was not written for: the plain import.
    for name in [n for n in sys.modules if n == "typer" or n.startswith("typer.")]:
        del sys.modules[name]
    import typer

    return typer


import_typer()
