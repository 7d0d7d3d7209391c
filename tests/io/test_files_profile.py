"""Profiling Arrow columns directly: the same counts and floats as the plain way, without importing pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.io.files import _floats, _frequencies

ROOT = Path(__file__).resolve().parents[2]


def _plain_frequencies(column: pa.ChunkedArray) -> dict[str, int]:
    """Label every row, then count: what counting first must reproduce."""
    counted = pc.value_counts(pc.cast(column, pa.string()))
    return {v: c for v, c in zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(),
                                 strict=True) if v is not None}


chunks = st.lists(st.one_of(st.none(), st.integers(-3, 3)), max_size=30)
float_chunks = st.lists(st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.0, 1.5, float("nan"), float("inf")])),
                        max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(chunks, min_size=1, max_size=4), st.sampled_from([pa.int64(), pa.int8(), pa.bool_()]))
def test_counting_before_labelling_gives_the_same_frequencies(parts: list[list[int | None]], kind: pa.DataType) -> None:
    column = pa.chunked_array([pa.array([None if v is None else (v > 0 if kind == pa.bool_() else v) for v in part],
                                        type=kind) for part in parts], type=kind)
    frequencies, missing = _frequencies(column)
    assert frequencies == _plain_frequencies(column)
    assert missing == column.null_count


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.sampled_from("abcd")), max_size=30), min_size=1, max_size=4),
       st.sampled_from([pa.int8(), pa.uint16(), pa.int32()]))
def test_dictionary_columns_counted_by_index_give_the_same_frequencies(parts: list[list[str | None]],
                                                                      index: pa.DataType) -> None:
    """Parquet text arrives as dictionaries: one per part, in any order, with unused entries, sliced."""
    dictionary = pa.array(["d", "unused", "b", "a", "c"])
    position = {v: i for i, v in enumerate(dictionary.to_pylist())}
    arrays = [pa.DictionaryArray.from_arrays(pa.array([None, *(None if v is None else position[v] for v in part)],
                                                      type=index), dictionary).slice(1) for part in parts]
    column = pa.chunked_array(arrays, type=pa.dictionary(index, pa.string()))
    assert _frequencies(column) == (_plain_frequencies(column), column.null_count)


@settings(max_examples=60, deadline=None)
@given(st.lists(float_chunks, min_size=1, max_size=4))
def test_float_labels_that_print_alike_are_counted_together(parts: list[list[float | None]]) -> None:
    column = pa.chunked_array([pa.array(part, type=pa.float64()) for part in parts], type=pa.float64())
    assert _frequencies(column)[0] == _plain_frequencies(column)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6)), max_size=20), min_size=0, max_size=4))
def test_floats_chunk_by_chunk_equal_arrows_own_conversion(parts: list[list[int | None]]) -> None:
    column = pa.chunked_array([pa.array(part, type=pa.int64()) for part in parts], type=pa.int64())
    expected = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(_floats(column), expected)
    assert _floats(column).dtype == np.float64


def test_adhoc_drift_profiles_without_importing_pandas(tmp_path: Path) -> None:
    """pandas costs ~0.5 s of CPU at start-up; the ad-hoc path must not pull it in (pyarrow's
    ChunkedArray.to_numpy would)."""
    rng = np.random.default_rng(3)
    table = pa.table({"x": rng.normal(size=5000), "n": rng.integers(0, 4, 5000), "c": ["a", "b"] * 2500})
    pq.write_table(table, tmp_path / "ref.parquet")
    code = ("import sys\nfrom tasks.io.files import profile_file\n"
            f"ref = profile_file({str(tmp_path / 'ref.parquet')!r})\n"
            f"profile_file({str(tmp_path / 'ref.parquet')!r}, reference=ref)\n"
            "print('pandas' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True)
    assert result.stdout.strip() == "False"
