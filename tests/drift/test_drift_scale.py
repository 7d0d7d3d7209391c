"""Windows bigger than memory: the drift flow reads them slice by slice and merges, here or on Dask workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

from flows.drift_check import drift_check

from conftest import DEMO_END, edited_runbooks

NIGHT = DEMO_END.isoformat()


@pytest.fixture
def small_partitions(tmp_path: Path) -> Path:
    """The shipped runbooks, but fraud-scoring's windows split every ~150 rows (a night is ~600)."""
    return edited_runbooks(tmp_path, "fraud-scoring", "  min_rows: 500\n", "  min_rows: 500\n  partition_rows: 150\n")


def verdict(report) -> tuple:
    columns = {c.name: round(c.score, 9) for c in report.metrics.columns}
    return report.status, sorted(f.key for f in report.findings), report.metrics.rows, columns


def partition_runs(name: str) -> list[str]:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=name)))
    return [r.state.type.value for r in runs]


def test_partitioned_window_gives_the_whole_window_verdict(prefect_api, demo_home, small_partitions) -> None:
    whole = drift_check(system="fraud-scoring", window=NIGHT)
    assert partition_runs("drift-partitions/fraud-scoring") == []  # a normal night fits in memory
    sliced = drift_check(system="fraud-scoring", window=NIGHT, runbooks=str(small_partitions))
    assert verdict(sliced) == verdict(whole)
    parts = -(-whole.metrics.rows // 150)
    assert partition_runs(f"drift-partitions/fraud-scoring/{parts}") == ["COMPLETED"]


def test_partitions_run_on_a_dask_cluster_named_by_the_environment(
    prefect_api, demo_home, small_partitions, monkeypatch
) -> None:
    from distributed import Client, LocalCluster

    monkeypatch.setenv("PREFECT_API_URL", prefect_api)  # worker processes must report to the same API
    whole = drift_check(system="fraud-scoring", window=NIGHT)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        monkeypatch.setenv("STEWARD_DASK_ADDRESS", cluster.scheduler_address)
        on_dask = drift_check(system="fraud-scoring", window=NIGHT, runbooks=str(small_partitions))
        ran = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert verdict(on_dask) == verdict(whole)
    assert any(prefix.startswith("summarise_current") for prefix in ran), ran
