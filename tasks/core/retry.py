"""Retry what may heal by itself (a database or Slack hiccup), never a configuration mistake."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError

from tasks.core.errors import Unavailable

TRANSIENT = (Unavailable, OperationalError, ConnectionError, TimeoutError)


def transient_only(_task: Any, _task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry only when the failure was transient."""
    try:
        state.result()
    except TRANSIENT:
        return True
    except Exception:  # noqa: BLE001 - anything else is a bug or a bad runbook: retrying cannot help
        return False
    return False


# No cache key either: Steward persists no task results, so Prefect's default one (a hash of every argument,
# log frames included) would be computed on every call for nothing; a fleet's batch makes tens of thousands.
RETRY = {"retries": 2, "retry_delay_seconds": [2, 10], "retry_condition_fn": transient_only, "cache_policy": None}
