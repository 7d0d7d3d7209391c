"""Seeded simulator of ~90 days of production logs for the two demo AI systems.

The demo needs data in which every Steward duty has something real to find, so
each system carries a handful of dated incidents (see :func:`incidents`) laid
over otherwise steady, realistic traffic: more requests by day than by night,
fewer at weekends, late-arriving labels. Everything is vectorised numpy/pandas
and driven by one seeded generator per system, so the same arguments always
give the same frames.

Timestamps are timezone-aware UTC in the frames and naive UTC in SQL, so that
SQLite and PostgreSQL read back the same values.
"""

from deployments.demo.simulator.fraud import simulate_fraud
from deployments.demo.simulator.incidents import (
    APP_RECALL_DAY,
    CHARGEBACK_SHARE,
    DEVICE_SHIFT_DAY,
    FRAUD_SYSTEM,
    MISSING_VERSION_DAY,
    NO_FRAUD_LABEL_DAYS,
    PROMPT_V3_DAY,
    SMALLTALK_4O_DAY,
    SPIKE_FIRST_DAY,
    SPIKE_LAST_DAY,
    SUPPORT_SYSTEM,
    TABLES,
    VOLUME_DIP_DAY,
    Incident,
    incidents,
)
from deployments.demo.simulator.support import PLANTED_PII, simulate_support
from deployments.demo.simulator.writer import naive_utc, write_demo_database

__all__ = [
    "APP_RECALL_DAY",
    "CHARGEBACK_SHARE",
    "DEVICE_SHIFT_DAY",
    "FRAUD_SYSTEM",
    "Incident",
    "MISSING_VERSION_DAY",
    "NO_FRAUD_LABEL_DAYS",
    "PLANTED_PII",
    "PROMPT_V3_DAY",
    "SMALLTALK_4O_DAY",
    "SPIKE_FIRST_DAY",
    "SPIKE_LAST_DAY",
    "SUPPORT_SYSTEM",
    "TABLES",
    "VOLUME_DIP_DAY",
    "incidents",
    "naive_utc",
    "simulate_fraud",
    "simulate_support",
    "write_demo_database",
]
