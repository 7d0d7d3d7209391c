"""Where a running ``steward up`` answers: recorded under ``$STEWARD_HOME``, so other commands find it unexported."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ValidationError

from tasks.store.database import steward_home

RECORD = "up.json"


class ServerRecord(BaseModel):
    """What a running ``steward up`` leaves in its home for other commands: where its server answers."""

    api_url: str
    pid: int
    receiver_url: str | None = None
    reports_url: str | None = None  # the report server and its index


def recorded_server(home: Path | None = None) -> ServerRecord | None:
    """The server a live ``steward up`` recorded under ``$STEWARD_HOME``; None without one (or when its
    process has died without removing the record)."""
    try:
        record = ServerRecord.model_validate_json((home or steward_home()).joinpath(RECORD).read_text())
        os.kill(record.pid, 0)
    except (OSError, ValidationError):  # no record, an unreadable one, or a process that is gone
        return None
    return record
