"""Which duties a night's batch runs: the scheduled (system, duty) pairs, grouped by schedule, dealt into shards.

Pure and Prefect-free: ``deployments/plan.py`` plans one batch deployment per (schedule, shard) from it, and the
batch flow (``flows/fleet_night.py``) picks its own share with it when it runs, so both agree on who runs where,
and a runbook added since the deployments were made is in tonight's batch of its schedule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from runbooks.loader import Catalog
from runbooks.spec import Duty, Schedule
from tasks.core.errors import ConfigError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class Shard(BaseModel):
    """One of ``count`` equal shares of a fleet (1-based ``index``)."""

    model_config = ConfigDict(frozen=True)

    index: int = 1
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"``: the second of four shares; a malformed or out-of-range shard is a user error."""
        match = _SHARD.match(text)
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            raise ConfigError(f"a shard is i/n with 1 <= i <= n, e.g. 1/4 (got {text!r})")
        return cls(index=int(match[1]), count=int(match[2]))

    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def picks(self, systems: Iterable[str]) -> set[str]:
        """This shard's systems: dealt round-robin in name order, so shares differ by one system at most."""
        return set(sorted(set(systems))[self.index - 1::self.count])


class NightItem(BaseModel):
    """One duty of one system in a batch, with the schedule that makes it due."""

    model_config = ConfigDict(frozen=True)

    system: str
    duty: Duty
    schedule: Schedule

    def label(self) -> str:
        return f"{self.duty.value}/{self.system}"


def scheduled_items(catalog: Catalog, duties: Iterable[Duty]) -> list[NightItem]:
    """Every enabled duty among ``duties`` that has a schedule, of every system: system by system, so a system's
    duties run one after the other."""
    wanted = set(duties)
    return [NightItem(system=name, duty=duty, schedule=section.schedule)
            for name, spec in sorted(catalog.specs.items())
            for duty, section in spec.duties().items() if duty in wanted and section.schedule is not None]


def schedules(items: Iterable[NightItem]) -> list[Schedule]:
    """The distinct schedules of ``items``: one batch deployment per schedule (and shard)."""
    return sorted({item.schedule for item in items}, key=lambda s: (s.timezone, s.cron))


def night_share(items: Iterable[NightItem], shard: Shard, schedule: Schedule | None = None) -> list[NightItem]:
    """The items due on ``schedule`` (all of them when None) whose system falls to ``shard``; each schedule's
    systems are dealt on their own, so every shard of every schedule is about as big."""
    due = [item for item in items if schedule is None or item.schedule == schedule]
    mine = shard.picks(item.system for item in due)
    return [item for item in due if item.system in mine]
