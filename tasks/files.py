"""Read a whole Parquet or CSV file for the ad-hoc drift mode.

Kept free of SQLAlchemy and Prefect imports: ``steward drift`` is timed
end to end, start-up included.
"""

from __future__ import annotations

import os

import pandas as pd
import pyarrow.csv as pv
import pyarrow.parquet as pq

from tasks.errors import StewardError


class FileError(StewardError, ValueError):
    """A data file cannot be read as asked; the message names the file and column."""


def read_file(path: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read ``columns`` (default: all) of a Parquet or CSV file, naming any missing column."""
    if not os.path.isfile(path):
        raise FileError(f"{path}: no such file")
    suffix = path.rsplit(".", 1)[-1].lower()
    try:
        if suffix in ("parquet", "pq"):
            names = pq.read_schema(path).names
        elif suffix == "csv":
            table = pv.read_csv(path)
            names = table.column_names
        else:
            raise FileError(f"{path}: not a .parquet or .csv file")
        missing = [c for c in columns or [] if c not in names]
        if missing:
            raise FileError(f"{path}: no column {', '.join(map(repr, missing))} (has {', '.join(names[:20])})")
        if suffix == "csv":
            table = table.select(columns) if columns else table
        else:
            table = pq.read_table(path, columns=columns)
    except FileError:
        raise
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise FileError(f"{path}: cannot read ({reason})") from None
    return table.to_pandas()
