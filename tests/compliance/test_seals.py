"""Seals: canonical row hashes, erasure that keeps the chain, edits that break it, and the chain in the store."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from tasks.compliance.sealing import seal_and_verify
from tasks.compliance.seals import day_hashes, erased_text, row_hash, row_hashes
from tasks.store.database import Store
from tasks.store.models import LogSeal
from tasks.store.seals import add_seal, broken_seal_links

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
DAYS = [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]


def log() -> pd.DataFrame:
    return pd.DataFrame({
        "request_id": ["a", "b", "c"],
        "ts": pd.to_datetime(["2026-11-20 10:00", "2026-11-20 11:00", "2026-11-21 09:00"], utc=True),
        "tokens": [5, 7, 9],
        "message": ["my card is 4111111111111111", "hello", "hi"],
    })


def test_row_hash_ignores_how_a_read_typed_the_values() -> None:
    plain = {"id": "a", "n": 5, "x": None, "ts": pd.Timestamp("2026-11-20 10:00")}
    typed = {"id": "a", "n": 5.0, "x": float("nan"), "ts": pd.Timestamp("2026-11-20 10:00", tz="UTC")}
    assert row_hash(plain) == row_hash(typed)
    assert row_hash(plain) != row_hash({**plain, "n": 6})


def test_erasing_text_keeps_the_hash_editing_it_does_not() -> None:
    row = {"request_id": "a", "message": "my card is 4111111111111111"}
    sealed = row_hash(row, ["message"])
    assert row_hash({**row, "message": erased_text(row["message"])}, ["message"]) == sealed
    assert row_hash({**row, "message": "my card is 4111111111111112"}, ["message"]) != sealed
    assert row_hash({**row, "message": erased_text("something else")}, ["message"]) != sealed


def test_day_hashes_do_not_depend_on_row_order() -> None:
    frame = log()
    assert day_hashes(frame, "ts", "request_id") == day_hashes(frame.iloc[::-1], "ts", "request_id")
    assert day_hashes(frame, "ts", "request_id")[date(2026, 11, 20)][0] == 2


def test_seal_then_verify_detects_the_edited_day(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'ops.db'}")
    seal = lambda frame: seal_and_verify(  # noqa: E731
        session, "sys", "decisions", frame, timestamp="ts", key="request_id", text_fields=["message"], days=DAYS, now=NOW)
    with store.session() as session:
        first = seal(log())
        assert [(c.day, c.new, c.rows) for c in first] == [(DAYS[0], True, 2), (DAYS[1], True, 1), (DAYS[2], True, 0)]
    with store.session() as session:
        erased = log()
        erased.loc[0, "message"] = erased_text(erased.loc[0, "message"])
        assert all(c.intact and not c.new for c in seal(erased))  # PII erased: the chain holds
    with store.session() as session:
        edited = log()
        edited.loc[2, "tokens"] = 90
        checks = seal(edited)
        assert [c.day for c in checks if not c.intact] == [DAYS[1]]
        dropped = seal(log().iloc[1:])
        assert [c.day for c in dropped if not c.intact] == [DAYS[0]]
        assert broken_seal_links(session, "sys") == []


def test_today_is_not_sealed_until_it_is_over(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'ops.db'}")
    with store.session() as session:
        checks = seal_and_verify(session, "sys", "decisions", log(), timestamp="ts", key="request_id", text_fields=[],
                                 days=DAYS, now=datetime(2026, 11, 22, 12, tzinfo=UTC))
        assert [c.day for c in checks] == DAYS[:2]


def test_seal_chain_in_the_store_shows_an_edited_seal(store_url: str) -> None:
    store = Store(store_url)
    with store.session() as session:
        for day in DAYS:
            add_seal(session, "sys", "decisions", day, 3, "c" * 64)
        add_seal(session, "sys", "audit", DAYS[0], 0, "d" * 64)
        add_seal(session, "other", "decisions", DAYS[0], 1, "e" * 64)
    with store.session() as session:
        assert broken_seal_links(session, "sys") == []
        session.execute(update(LogSeal).where(LogSeal.day == DAYS[1], LogSeal.system == "sys").values(rows=4))
    with store.session() as session:
        assert broken_seal_links(session, "sys") == [f"decisions:{DAYS[1]}"]
        assert broken_seal_links(session, "other") == []


STAMP = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))
FLOAT = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6).map(float))
COLUMNS = {  # the dtypes a read of a log gives, each as the frame's column would hold it
    "ints": (st.integers(-2**62, 2**62), "int64"),
    "floats": (FLOAT, "float64"),
    "flags": (st.booleans(), "bool"),
    "nullable": (st.one_of(st.none(), st.integers(-100, 100)), "Int64"),
    "naive": (st.one_of(st.none(), STAMP), "datetime64[ns]"),
    "aware": (st.one_of(st.none(), STAMP), "datetime64[ns, UTC]"),
    "mixed": (st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 5), FLOAT), object),
    "texts": (st.one_of(st.none(), st.text(max_size=20)), "str"),
    "message": (st.one_of(st.none(), st.text(max_size=20), st.text(max_size=5).map(erased_text)), object),
    "notes": (st.one_of(st.none(), st.text(max_size=20)), "string"),
}


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 12).flatmap(lambda n: st.fixed_dictionaries(
    {name: st.lists(values, min_size=n, max_size=n) for name, (values, _) in COLUMNS.items()})))
def test_row_hashes_column_by_column_equal_row_hash_row_by_row(values: dict[str, list]) -> None:
    """The frame's column-wise hashing is the same function as ``row_hash`` on each record (what earlier seals
    were made with), for every dtype a read may give and text fields hashed apart."""
    frame = pd.DataFrame({name: pd.Series(values[name], dtype=dtype) for name, (_, dtype) in COLUMNS.items()})
    texts = ["message", "notes", "texts"]
    assert row_hashes(frame, texts) == [row_hash(r, texts) for r in frame.to_dict("records")]
