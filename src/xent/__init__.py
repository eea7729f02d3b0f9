"""xent: entropy and cross-entropy, exact, from the command line or from Python.

>>> from xent import cross_entropy
>>> float(cross_entropy(0, [0.4, 0.3, 0.05, 0.05, 0.2]))
0.916290731874155

Files and rows take the one pipeline of the command line: ``score_file`` (a file) and
``score_frame`` (a pandas DataFrame) return a :class:`~xent.results.Summary`, what
``xent compute -i FILE`` prints; ``score_rows`` (Python values) a
:class:`~xent.report.Report`, the per-row contribution table.

The engine needs NumPy; it is imported on first use so that ``xent --help`` and the CLI's
start-up do not pay for it.
"""

from __future__ import annotations

_ENGINE_NAMES = {
    "Breakdown",
    "REDUCTIONS",
    "ZeroProbabilityWarning",
    "binary_cross_entropy",
    "breakdown",
    "check_distribution",
    "contributions",
    "cross_entropy",
    "entropy",
    "kl_divergence",
    "log_predictions",
    "log_softmax",
    "normalize_rows",
    "perplexity",
    "softmax",
}

# Names from the modules beside the engine. ``cross_entropy`` is the one of ``losses``: the
# engine's, plus the frameworks' options (weights, label smoothing, ignored rows).
_MODULE_OF = {
    "cross_entropy": "losses",
    "multilabel_cross_entropy": "losses",
    "js_divergence": "divergences",
    "brier_score": "metrics",
    "expected_calibration_error": "metrics",
    "top_k_accuracy": "metrics",
    "score_file": "pipeline",
    "score_rows": "pipeline",
    "score_frame": "frames",
    "ScoreOptions": "options",
    "Evaluation": "evaluation",
    "ReadOptions": "readers.read_options",
    "Summary": "results",
    "Report": "results",
    "Totals": "totals",
}

__all__ = sorted(
    _ENGINE_NAMES | set(_MODULE_OF) | {"__version__", "XentError", "DataError", "UsageError"}
)

from .errors import DataError, UsageError, XentError  # noqa: E402, F401  (stdlib only, cheap)


def __getattr__(name: str):
    if name == "__version__":  # the installed metadata's, read at first use (_version.py)
        from ._version import version

        return version()
    if name in _MODULE_OF:
        from importlib import import_module

        return getattr(import_module(f".{_MODULE_OF[name]}", __name__), name)
    if name in _ENGINE_NAMES:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'xent' has no attribute {name!r}")


def __dir__():
    return __all__
