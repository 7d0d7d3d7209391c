"""What both peer runners share: the command line, the timed read, and the column kinds.

Imported by ``peer_evidently.py`` and ``peer_nannyml.py`` (run from this folder in the
peers virtualenv), so both peers see the same frames and the same numeric/categorical split.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd


def read_pair(description: str) -> tuple[pd.DataFrame, pd.DataFrame, float, list[str], list[str]]:
    """(reference, current, seconds spent reading, numeric columns, categorical columns)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("reference")
    parser.add_argument("current")
    args = parser.parse_args()
    started = time.perf_counter()
    reference = pd.read_parquet(args.reference)
    current = pd.read_parquet(args.current)
    read_s = time.perf_counter() - started
    numerical = [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
    categorical = [c for c in reference.columns if c not in numerical]
    return reference, current, read_s, numerical, categorical
