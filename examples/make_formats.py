"""Write animals.csv in the other formats xent reads: animals.csv.gz, animals.parquet
(pyarrow) and animals.npz (NumPy). Run from the repository root:

    python examples/make_formats.py
"""

import csv
import gzip
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    with open(HERE / "animals.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    classes = header[1:]
    labels = [row[0] for row in body]
    pred = np.array([[float(v) for v in row[1:]] for row in body])

    # gzip without a time stamp or a name, so the file is the same each time.
    data = (HERE / "animals.csv").read_bytes()
    with open(HERE / "animals.csv.gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as f:
            f.write(data)

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"label": pa.array(labels).dictionary_encode()})
    for j, name in enumerate(classes):
        table = table.append_column(name, pa.array(pred[:, j]))
    pq.write_table(table, HERE / "animals.parquet")

    # The labels as class indices, the predictions as one (rows, classes) array, and
    # the class names.
    index = np.array([classes.index(label) for label in labels])
    np.savez(HERE / "animals.npz", pred=pred, labels=index, classes=np.array(classes))


if __name__ == "__main__":
    main()
