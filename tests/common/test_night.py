"""Which duties a night's batch runs: shards deal every system once, by schedule, and a bad shard is one line."""

from __future__ import annotations

import pytest

from runbooks.loader import Catalog, load_catalog
from runbooks.spec import Duty, Schedule
from tasks.common.night import Shard, night_share, scheduled_items, schedules
from tasks.core.errors import ConfigError

from conftest import REPO

SHIPPED = load_catalog(REPO / "runbooks")
NIGHTLY = [Duty.drift, Duty.outcomes, Duty.cost, Duty.compliance]


def fleet(size: int) -> Catalog:
    """``size`` copies of the shipped runbooks under new ids, alternating fraud and support, as a big fleet is."""
    templates = [SHIPPED.specs["fraud-scoring"], SHIPPED.specs["support-assistant"]]
    specs = {f"system-{i:04d}": templates[i % 2].model_copy(update={"system": f"system-{i:04d}"}) for i in range(size)}
    return Catalog(specs=specs, files={name: REPO / "runbooks/systems/fraud-scoring.yaml" for name in specs})


@pytest.mark.parametrize(("text", "shard"), [("1/1", Shard()), ("2/4", Shard(index=2, count=4)), (" 3 / 3 ", Shard(index=3, count=3))])
def test_a_shard_reads_i_of_n(text: str, shard: Shard) -> None:
    assert Shard.parse(text) == shard and Shard.parse(shard.label()) == shard


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "1", "a/b", "1/4/2", ""])
def test_a_malformed_shard_is_a_user_error(text: str) -> None:
    with pytest.raises(ConfigError, match="a shard is i/n"):
        Shard.parse(text)


@pytest.mark.parametrize(("size", "count"), [(1000, 4), (7, 3), (2, 4), (50, 1)])
def test_shards_deal_each_system_exactly_once_and_evenly(size: int, count: int) -> None:
    systems = [f"system-{i:04d}" for i in range(size)]
    shares = [Shard(index=i, count=count).picks(reversed(systems)) for i in range(1, count + 1)]
    assert set().union(*shares) == set(systems) and sum(map(len, shares)) == size
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_scheduled_items_are_every_enabled_scheduled_duty_system_by_system() -> None:
    items = scheduled_items(SHIPPED, NIGHTLY)
    assert [i.label() for i in items] == [
        "drift/fraud-scoring", "outcomes/fraud-scoring", "cost/fraud-scoring", "compliance/fraud-scoring",
        "drift/support-assistant", "outcomes/support-assistant", "cost/support-assistant",
        "compliance/support-assistant"]
    assert items[1].schedule == Schedule(cron="0 7 * * *", timezone="America/New_York")
    assert not scheduled_items(SHIPPED, [Duty.refresh])  # refresh has no schedule: it is triggered
    off = SHIPPED.specs["fraud-scoring"].model_copy(update={"drift": SHIPPED.specs["fraud-scoring"].drift.model_copy(
        update={"enabled": False})})
    assert "drift/fraud-scoring" not in {i.label() for i in scheduled_items(Catalog(specs={"fraud-scoring": off}), NIGHTLY)}


def test_each_schedules_systems_are_dealt_on_their_own_and_keep_their_duties_together() -> None:
    items = scheduled_items(fleet(1000), NIGHTLY)
    assert len(schedules(items)) == 8  # the two templates' four duties each, on their own schedules
    nightly = Schedule(cron="0 2 * * *")  # the fraud copies' drift: 500 systems
    shares = [night_share(items, Shard(index=i, count=4), nightly) for i in range(1, 5)]
    assert [len(s) for s in shares] == [125, 125, 125, 125]
    assert all(item.schedule == nightly and item.duty is Duty.drift for share in shares for item in share)
    whole = [night_share(items, Shard(index=i, count=3)) for i in range(1, 4)]  # every schedule at once
    assert sorted(i.label() for share in whole for i in share) == sorted(i.label() for i in items)
    for share in whole:
        for system in {i.system for i in share}:
            assert sum(i.system == system for i in share) == 4  # a system's duties all go to one shard
