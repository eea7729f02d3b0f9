"""The runner: a source's chunks are scored into parts (the map, :mod:`xent.parts`) and the
parts merged in input order (the reduce, :mod:`xent.runner.reduce`), by one of three
backends that share both steps:

- inline (:mod:`xent.runner.local`): every chunk read and scored here;
- worker processes (:mod:`xent.runner.processes`): a CSV file's chunks read, parsed and
  scored by forked workers, the parts merged here in input order;
- Dask (:mod:`xent.runner.dask`): a dataset's partitions read and scored on a cluster, each
  partition's parts merged there, the partitions merged here in order.

Files are merged into one run by :mod:`xent.runner.files`, whatever the backend.
:func:`evaluate` is the one call: an :class:`~xent.evaluation.Evaluation` and its sources
in, a summary out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..evaluation import Evaluation

DISTRIBUTIONS = ("entropy", "kl", "js")


def evaluate(
    evaluation: Evaluation,
    sources: str | Sequence[str],
    *,
    on_rows: Callable | None = None,
    progress: Callable[[int], None] | None = None,
    on_part: Callable[[int, int], None] | None = None,
):
    """Evaluate ``sources`` (paths, directories, patterns; ``-`` for stdin) as
    ``evaluation`` says, on the backend it names: a Dask cluster (``cluster``), else this
    process and, for a large CSV file, its worker processes.

    Returns a :class:`~xent.results.Summary` (``measure="cross_entropy"``) or a
    :class:`~xent.results.DistributionSummary` (``entropy``, ``kl``, ``js``).
    ``on_rows`` sees each chunk's scored rows (``reduction="none"``), ``progress`` the
    bytes read so far, ``on_part(done, total)`` each partition a cluster has scored."""
    from ..readers.read_options import ReadOptions

    read = evaluation.read or ReadOptions()
    given = [sources] if isinstance(sources, str) else list(sources)
    if evaluation.measure in DISTRIBUTIONS:
        from .local import score_distribution_file

        (path,) = given  # one file of distributions (the command line takes one)
        return score_distribution_file(
            path,
            evaluation.measure,
            evaluation.score,
            read,
            p_columns=evaluation.p_columns,
            q_columns=evaluation.q_columns,
            classes=evaluation.classes,
            reduction=evaluation.reduction,
            on_rows=on_rows,
            progress=progress,
        )
    if evaluation.cluster is not None:  # the workers find the files (the client may not)
        from .dask import score_on_cluster

        evaluation.check_files(len(given))
        return score_on_cluster(
            given,
            evaluation.score,
            read,
            address=evaluation.cluster,
            workers=evaluation.workers,
            reduction=evaluation.reduction,
            metrics=evaluation.metrics,
            by_file=evaluation.by_file,
            on_part=on_part,
            group_by=evaluation.group_by,
            sequence_column=evaluation.sequence_column,
        )
    from ..readers.sources import expand_paths
    from .local import score_local

    paths = expand_paths(given)
    evaluation.check_files(len(paths))
    return score_local(evaluation, sources, paths, on_rows=on_rows, progress=progress)
