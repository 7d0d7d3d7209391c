"""Tamper evidence: a hash per day over the day's canonical rows, each seal chained to the one before.

The hashed envelope of a row keeps free-text fields as their SHA-256 only, so
erasing personal data (replacing the text with ``erased_text(old)``, a tombstone
that carries the old content's hash) leaves every row hash, day hash and link
in the chain unchanged. Any other edit, insert or delete changes the day hash.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from json.encoder import encode_basestring_ascii
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

EMPTY_DAY = hashlib.sha256(b"").hexdigest()
_TOMBSTONE = re.compile(r"^\[erased sha256:([0-9a-f]{64})\]$")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def erased_text(content: str) -> str:
    """What to write over logged text to erase it without breaking a seal."""
    return f"[erased sha256:{_sha256(content)}]"


def _text_digest(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    tomb = _TOMBSTONE.match(text)
    return tomb.group(1) if tomb else _sha256(text)


def _canonical(value: Any) -> Any:
    """One spelling per value, whatever dtype a particular read inferred (5 and 5.0 alike, NaN as null)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (datetime, pd.Timestamp)):
        stamp = pd.Timestamp(value)
        return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _canonical(value.item())
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def row_hash(row: Mapping[str, Any], text_fields: Iterable[str] = ()) -> str:
    """SHA-256 of a row's envelope: plain columns by value, text columns by their own SHA-256."""
    texts = set(text_fields)
    envelope = {k: ({"sha256": _text_digest(v)} if k in texts else _canonical(v)) for k, v in row.items()}
    return _sha256(json.dumps(envelope, sort_keys=True, separators=(",", ":"), default=str))


def _encoded(column: pd.Series, text: bool) -> list[str]:
    """Each value of ``column`` as ``row_hash`` spells it inside the envelope's JSON; a whole column at a time,
    with the common dtypes' spelling chosen once for the column instead of once per value."""
    dumps, quote = json.dumps, encode_basestring_ascii  # quote(s) is dumps(s) for a str
    values = [None if v is pd.NA else v for v in column.tolist()]  # NA: as to_dict("records") gives it
    if text:
        return ['{"sha256":null}' if (d := _text_digest(v)) is None else f'{{"sha256":"{d}"}}' for v in values]
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "M" if column.dtype.kind == "M" else "O"
    if kind in "iub":  # numpy ints and bools (no missing values in these dtypes): the integer itself
        return [str(int(v)) for v in values]
    if kind == "f":
        return ["null" if v != v else str(int(v)) if v.is_integer() else quote(repr(v)) for v in values]
    if kind == "M":
        stamps = column.dt.tz_localize("UTC") if column.dt.tz is None else column.dt.tz_convert("UTC")
        return ["null" if v is pd.NaT else quote(v.isoformat()) for v in stamps.tolist()]
    return [quote(v) if type(v) is str else dumps(_canonical(v), default=str) for v in values]


def row_hashes(frame: pd.DataFrame, text_fields: Iterable[str] = ()) -> list[str]:
    """``row_hash`` of every row of ``frame``, computed column by column (a property test holds them equal)."""
    texts = set(text_fields)
    columns = []
    for name in sorted(frame.columns):
        key = json.dumps(name) + ":"
        columns.append([key + value for value in _encoded(frame[name], name in texts)])
    return [_sha256("{" + ",".join(fields) + "}") for fields in zip(*columns, strict=True)]


def day_hashes(frame: pd.DataFrame, timestamp: str, key: str, text_fields: Sequence[str] = ()) -> dict[date, tuple[int, str]]:
    """(rows, content hash) per UTC day: the hash of the day's row hashes in key order."""
    if frame.empty:
        return {}
    days = pd.to_datetime(frame[timestamp], utc=True).dt.date
    hashes = row_hashes(frame, text_fields)
    table = pd.DataFrame({"day": days.to_numpy(), "key": frame[key].astype(str).to_numpy(), "hash": hashes})
    out: dict[date, tuple[int, str]] = {}
    for day, group in table.sort_values(["day", "key", "hash"], kind="stable").groupby("day", sort=True):
        lines = "\n".join(group["key"] + " " + group["hash"])
        out[day] = (len(group), _sha256(lines))
    return out


class SealCheck(BaseModel):
    """One sealed day, recomputed."""

    log: str
    day: date
    sealed_rows: int
    rows: int
    sealed_hash: str
    content_hash: str
    seal_hash: str
    intact: bool
    new: bool = False
