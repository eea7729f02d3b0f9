"""The streaming Poisson bootstrap, kept here by name: it lives in
:mod:`xent.accumulators.bootstrap`."""

from .accumulators.bootstrap import (  # noqa: F401
    BLOCK_ROWS,
    MAX_WEIGHT,
    METHOD,
    OFFSET,
    Bootstrap,
    ExactColumns,
    exact_parts,
    parts_value,
    percentile_interval,
    poisson_weights,
)
