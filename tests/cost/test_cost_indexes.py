"""What a runbook declares for its SQL log (tasks/io/indexes.py): made by `steward index`, never by a run,
and what it changes in the pushdown's plan on PostgreSQL."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from runbooks.spec import RunbookSpec
from tasks.core.windows import Window
from tasks.cost.data import aggregate_sql, pushdown_query
from tasks.io.indexes import create, statements

ROWS = 20_000


def spec(url: str, index: str | None = "brin", **source: object) -> RunbookSpec:
    return RunbookSpec.model_validate({
        "system": "calls", "description": "a log", "kind": "llm_app",
        "owner": {"name": "A", "role": "r", "slack_user_id": "U0TEST0001", "backup": {"name": "B", "slack_user_id": "U0TEST0002"}},
        "source": {"url": url, "table": "calls", "timestamp_index": index, **source,
                   "columns": {"request_id": "id", "timestamp": "ts", "model_name": "model", "tokens_in": "tin",
                               "tokens_out": "tout"}},
        "cost": {},
    })


def _fill(url: str, ts_type: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE calls (id BIGINT, ts {ts_type}, model TEXT, tin INT, tout INT)"))
        connection.execute(text(
            f"INSERT INTO calls SELECT g, timestamp '2026-10-01' + g * interval '2 minutes', "
            f"CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END, 100 + g % 50, 10 FROM generate_series(0, {ROWS - 1}) g"))
        connection.execute(text("ANALYZE calls"))
    engine.dispose()


def _plan(url: str, query: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        plan = [row[0] for row in connection.execute(text(f"EXPLAIN {query}"))]
    engine.dispose()
    return plan


@pytest.mark.parametrize("ts_type", ["timestamp", "timestamptz"])
def test_steward_index_gives_the_planner_the_day_and_the_runbook_its_index(postgres_url, ts_type) -> None:
    _fill(postgres_url, ts_type)
    declared, window = spec(postgres_url), Window.month("2026-10")
    before = aggregate_sql(declared, window)
    assert inspect(create_engine(postgres_url)).get_indexes("calls") == []  # a duty run creates nothing

    engine, query = pushdown_query(declared, window)
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    estimated = int(_plan(postgres_url, sql)[0].split("rows=")[1].split()[0])
    assert estimated > 5_000  # the timestamp's distinct values taken for the day's: a group per row

    ddl = statements(declared.source)
    assert ddl[0].startswith("CREATE INDEX CONCURRENTLY") and "USING brin (ts)" in ddl[0]
    create(declared.source, ddl)
    create(declared.source, ddl)  # IF NOT EXISTS: running the command again is harmless
    assert [i["name"] for i in inspect(create_engine(postgres_url)).get_indexes("calls")] == ["steward_calls_ts_brin"]

    plan = _plan(postgres_url, sql)
    assert int(plan[0].split("rows=")[1].split()[0]) < 200  # ~28 days x 2 models
    assert sum("Scan on calls" in line for line in plan) == 1 and any("HashAggregate" in line for line in plan)
    assert aggregate_sql(declared, window).equals(before)


def test_sqlite_gets_a_btree_whatever_is_declared_and_nothing_when_nothing_is(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE calls (id INT, ts TIMESTAMP, model TEXT, tin INT, tout INT)"))
    assert statements(spec(url, index=None).source) == []
    ddl = statements(spec(url).source)
    assert ddl == ["CREATE INDEX IF NOT EXISTS steward_calls_ts_btree ON calls (ts)", "ANALYZE calls"]
    create(spec(url).source, ddl)
    assert [i["name"] for i in inspect(engine).get_indexes("calls")] == ["steward_calls_ts_btree"]


def test_files_have_no_index() -> None:
    with pytest.raises(ValidationError, match="timestamp_index"):
        spec(None, path="logs/*.parquet")  # type: ignore[arg-type]


def test_the_command_prints_what_it_would_run(tmp_path) -> None:
    from deployments.cli import app, register

    url = f"sqlite:///{tmp_path / 'log.db'}"
    with create_engine(url).begin() as connection:
        connection.execute(text("CREATE TABLE calls (id INT, ts TIMESTAMP, model TEXT, tin INT, tout INT)"))
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    runbook = spec(url).model_dump(mode="json", exclude_defaults=True)
    runbook["cost"] = {"playbook": "https://wiki.example/cost"}  # no playbook file to find
    (runbooks / "calls.yaml").write_text(yaml.safe_dump(runbook))
    args = ["index", "calls", "--dry-run", "--runbooks", str(runbooks)]
    register(args)  # what main() does: the command's group registers its commands on the app
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "CREATE INDEX IF NOT EXISTS steward_calls_ts_btree ON calls (ts);" in result.output
    assert inspect(create_engine(url)).get_indexes("calls") == []  # a dry run creates nothing
