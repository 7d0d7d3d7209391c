"""Read and profile whole Parquet or CSV files: the ad-hoc drift mode and training snapshots.

``steward drift`` is timed end to end, start-up included, so this module
profiles Arrow columns directly: no pandas, SQLAlchemy or Prefect import, and
each column's memory is released as soon as it is profiled.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if sys.platform == "linux" and "pyarrow" not in sys.modules:
    # Arrow picks its allocator when first imported. Decoding batch after batch frees and reallocates ~200 MB
    # each time: jemalloc keeps those pages, where mimalloc (the default) hands them back and faults them in
    # again, half the kernel time of a whole `steward drift` at 2M rows. A user's own choice wins.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

import numpy as np  # noqa: E402 - after the allocator is chosen
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.csv as pv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from tasks.core.errors import StewardError  # noqa: E402
from tasks.core.profiles import (  # noqa: E402
    KIND_SAMPLE,
    LOW_CARDINALITY,
    CategoricalProfile,
    Kind,
    NumericProfile,
    TableProfile,
    categorical_like,
    categorical_reference,
    numeric_like,
    numeric_reference,
    profile_columns,
)

if TYPE_CHECKING:
    import pandas as pd


class FileError(StewardError, ValueError):
    """A data file cannot be read as asked; the message names the file and column."""


@contextmanager
def _reading(path: str) -> Iterator[None]:
    """Turn Arrow's and the OS's errors about ``path`` into one line naming the file."""
    try:
        yield
    except FileError:
        raise
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise FileError(f"{path}: cannot read ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    """The first line of a library's message, without the control bytes a binary file would put on the terminal."""
    first = str(exc).splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    return "".join(c if c.isprintable() else "?" for c in first)


def _checked(path: str, names: list[str], columns: list[str] | None) -> list[str]:
    """``columns`` (default: all ``names``), each checked to exist in the file."""
    missing = [c for c in columns or [] if c not in names]
    if missing:
        raise FileError(f"{path}: no column {', '.join(map(repr, missing))} (has {', '.join(names[:20])})")
    return list(columns or names)


def _format(path: str) -> str:
    if not os.path.isfile(path):
        raise FileError(f"{path}: no such file")
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix in ("parquet", "pq"):
        return "parquet"
    if suffix == "csv":
        return "csv"
    raise FileError(f"{path}: not a .parquet or .csv file")


def read_arrow(path: str, columns: list[str] | None = None) -> pa.Table:
    """Read ``columns`` (default: all) of a Parquet or CSV file, naming any missing column."""
    fmt = _format(path)
    with _reading(path):
        if fmt == "parquet":
            return pq.read_table(path, columns=_checked(path, pq.read_schema(path).names, columns))
        table = pv.read_csv(path)
        return table.select(_checked(path, table.column_names, columns))


def read_file(path: str, columns: list[str] | None = None) -> pd.DataFrame:
    return read_arrow(path, columns).to_pandas()


def arrow_kind(column: pa.ChunkedArray) -> Kind:
    """As ``profiles.column_kind``: numbers with more than 10 distinct values are numeric."""
    kind = column.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        return "categorical"
    distinct = pc.count_distinct(column.slice(0, KIND_SAMPLE), mode="only_valid").as_py()
    return "numeric" if distinct > LOW_CARDINALITY else "categorical"


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """The column as float64, nulls as NaN, read straight off Arrow's buffers: pyarrow's own ``to_numpy``
    imports pandas (half a second of start-up the ad-hoc path otherwise never needs)."""
    values = pc.cast(column, pa.float64()) if not pa.types.is_float64(column.type) else column
    chunks = [_chunk_floats(chunk) for chunk in values.chunks]
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks) if chunks else np.empty(0)


def _chunk_floats(chunk: pa.Array) -> np.ndarray:
    if chunk.null_count:
        chunk = pc.fill_null(chunk, np.nan)
    return np.frombuffer(chunk.buffers()[1], dtype=np.float64, count=len(chunk), offset=chunk.offset * 8)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _counted(column: pa.ChunkedArray) -> list[tuple[pa.Array, list[int]]]:
    """(distinct values, their counts) per part. A dictionary column (Parquet text) is counted by index with
    ``np.bincount``, 4x faster than hashing; anything else by ``value_counts``."""
    if not pa.types.is_dictionary(column.type):
        counted = pc.value_counts(column)
        return [(counted.field("values"), counted.field("counts").to_pylist())]
    parts = []
    for chunk in column.chunks:
        size = len(chunk.dictionary)
        indices = pc.fill_null(chunk.indices, size) if chunk.null_count else chunk.indices  # nulls: one bin past the end
        kind = np.dtype(f"{'u' if pa.types.is_unsigned_integer(indices.type) else 'i'}{indices.type.bit_width // 8}")
        codes = np.frombuffer(indices.buffers()[1], dtype=kind, count=len(indices), offset=indices.offset * kind.itemsize)
        parts.append((chunk.dictionary, np.bincount(codes, minlength=size + 1)[:size].tolist()))
    return parts


def _frequencies(column: pa.ChunkedArray) -> tuple[dict[str, int], int]:
    text = _is_text(column.type) or (pa.types.is_dictionary(column.type) and _is_text(column.type.value_type))
    frequencies: dict[str, int] = {}
    for values, counts in _counted(column):  # count first, then label the few distinct values (not every row)
        labels = values if text else pc.cast(values, pa.string())
        for label, count in zip(labels.to_pylist(), counts, strict=True):
            if label is not None and count:
                frequencies[label] = frequencies.get(label, 0) + count  # values that print alike count together
    return frequencies, column.null_count


def _profile_column(
    path: str, name: str, column: pa.ChunkedArray, ref: NumericProfile | CategoricalProfile | None
) -> NumericProfile | CategoricalProfile:
    if isinstance(ref, NumericProfile) or (ref is None and arrow_kind(column) == "numeric"):
        return numeric_like(ref, _floats(column)) if ref else numeric_reference(_floats(column))
    try:
        frequencies, missing = _frequencies(column)
    except pa.ArrowInvalid as exc:  # bytes that are not UTF-8 (Arrow reads such a CSV column as binary)
        raise FileError(f"{path}: column {name!r} is not valid UTF-8 text ({_reason(exc)})") from None
    return categorical_like(ref, frequencies, missing) if ref else categorical_reference(frequencies, missing)


def _profilable(path: str, schema: pa.Schema, names: list[str]) -> list[str]:
    """``names``, refusing a nested column (list, struct, map): it has no distribution drift can compare."""
    for name in names:
        kind = schema.field(name).type
        if pa.types.is_nested(kind):
            raise FileError(f"{path}: column {name!r} is of nested type {kind}; drift compares numbers and "
                            "categories only (leave it out with --columns)")
    return names


def profile_arrow(path: str, table: pa.Table, reference: TableProfile | None = None) -> TableProfile:
    """Profile an Arrow table read from ``path``, as a reference or against ``reference``, column by column."""
    names = _profilable(path, table.schema, list(reference.columns if reference else table.column_names))
    return profile_columns(
        names, lambda name: _profile_column(path, name, table.column(name), reference.columns[name] if reference else None),
        table.num_rows,
    )


def _read_columns(path: str, parquet: pq.ParquetFile, names: list[str]) -> pa.Table:
    """Decode ``names`` together; when that fails, find the column that cannot be read and name it."""
    try:
        return parquet.read(columns=names)
    except (OSError, ValueError, pa.ArrowException) as exc:
        for name in names:
            with _reading(f"{path}: column {name!r}"):
                parquet.read(columns=[name])
        raise FileError(f"{path}: cannot read columns {', '.join(map(repr, names))} ({_reason(exc)})") from None


PARQUET_BATCH = 13  # columns decoded together: few enough to keep memory low, enough to keep both cores busy
BATCH_VALUES = PARQUET_BATCH * 2_000_000  # ... and at most ~200 MB of floats: at 8M rows, 3 columns a batch


def profile_file(path: str, columns: list[str] | None = None, reference: TableProfile | None = None) -> TableProfile:
    """Read and profile one file. Parquet is decoded a few columns at a time, so memory never holds the table."""
    wanted = list(reference.columns) if reference else columns
    if _format(path) == "csv":
        return profile_arrow(path, read_arrow(path, wanted), reference)
    with _reading(path):
        parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    names = _profilable(path, schema, _checked(path, schema.names, wanted))
    # Text columns decoded as dictionaries: ~20x faster than materialising every string, and counted by index.
    # Not memory-mapped: a file cut short while it is read would kill the process (SIGBUS) instead of raising.
    text = [name for name in names if _is_text(schema.field(name).type)]
    parquet = pq.ParquetFile(path, read_dictionary=text)
    profiles: dict[str, NumericProfile | CategoricalProfile] = {}
    batch = min(PARQUET_BATCH, max(2, BATCH_VALUES // max(parquet.metadata.num_rows, 1)))
    for start in range(0, len(names), batch):
        profiles.update(_profile_batch(path, parquet, names[start : start + batch], reference).columns)
    return TableProfile(rows=parquet.metadata.num_rows, columns=profiles)


def _profile_batch(path: str, parquet: pq.ParquetFile, names: list[str], reference: TableProfile | None) -> TableProfile:
    """Decode and profile a few columns. Their memory is released before the next batch is decoded, so the
    allocator hands the same pages back (fresh pages cost a fault each: on a VM half of all reading time)."""
    table = _read_columns(path, parquet, names)
    return profile_columns(
        names, lambda name: _profile_column(path, name, table.column(name), reference.columns[name] if reference else None),
        table.num_rows,
    )
