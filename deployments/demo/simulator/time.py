"""Timestamps with weekly and intraday seasonality, request ids and the simulation's end: shared by both systems."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd


def daily_timestamps(
    rng: np.random.Generator,
    start: date,
    days: int,
    per_day: int,
    weekday_factor: np.ndarray,
    peak_hour: float,
    amplitude: float,
    day_factor: np.ndarray,
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Sorted UTC timestamps with weekly and intraday seasonality, plus each row's day index.

    ``day_factor`` carries the incidents that change volume on given days.
    """
    day_dates = pd.date_range(start, periods=days, freq="D", tz="UTC")
    weekly = weekday_factor[day_dates.dayofweek.to_numpy()]
    expected = per_day * weekly * day_factor * np.exp(rng.normal(0.0, 0.03, days))
    counts = rng.poisson(expected)
    day_idx = np.repeat(np.arange(days), counts)
    hours = np.arange(24)
    weights = 1.0 + amplitude * np.cos(2 * np.pi * (hours - peak_hour) / 24)
    hour = rng.choice(24, size=day_idx.size, p=weights / weights.sum())
    offset_ns = (day_idx * 86_400 + hour * 3_600 + rng.uniform(0, 3_600, day_idx.size)) * 1e9
    order = np.argsort(offset_ns, kind="stable")
    ts = pd.DatetimeIndex(day_dates[0] + pd.to_timedelta(offset_ns[order].astype(np.int64), unit="ns"))
    return ts.as_unit("ns"), day_idx[order]


def request_ids(prefix: str, n: int) -> pd.Series:
    return prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(6)


def end_of(end: date) -> pd.Timestamp:
    """First instant after the simulation: labels and reviews after it are not yet known."""
    return pd.Timestamp(end + timedelta(days=1), tz="UTC")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))
