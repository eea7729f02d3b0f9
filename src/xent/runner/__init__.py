"""The runner: a source's chunks are scored into parts (the map, :mod:`xent.parts`) and the
parts merged in input order (the reduce, :mod:`xent.runner.reduce`), by one of three
backends that share both steps:

- inline (:mod:`xent.runner.local`): every chunk read and scored here;
- worker processes (:mod:`xent.runner.processes`): a CSV file's chunks read, parsed and
  scored by forked workers, the parts merged here in input order;
- Dask (:mod:`xent.runner.dask`): a dataset's partitions read and scored on a cluster, each
  partition's parts merged there, the partitions merged here in order.

Files are merged into one run by :mod:`xent.runner.files`, whatever the backend.
"""
