"""A fleet's night in one flow run: each scheduled duty of each system in the batch is a task.

A flow run costs Prefect about a second (several through a process work pool, which starts a Python process for
each), about as long as a small system's duty itself; a thousand systems' nights as four thousand flow runs spend
most of the night on Prefect. Prefect 3 orchestrates tasks in the client and sends their states as batched events,
so here each duty's work (``check_drift``, ``review_outcomes``, ``review_cost``, ``audit_compliance``: what its own
flow runs) is a task of one flow run, its steps plain calls (tasks/common/steps.py); the runbooks are read once and
the reports index is written once per batch.

Results, artifacts, alerts and Slack messages are those of the duty's own flow run (its flow run id is the
batch's). A duty that fails alerts its owner as its own failed run would (``<duty>:run-failed``) and the batch goes
on; the batch ends Failed, naming each failure, Attention when an owner must act, else Completed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote
from pydantic import BaseModel, ValidationError

from flows.registry import DUTY_WORK, duty_work
from runbooks.loader import Catalog
from runbooks.spec import Duty, Schedule
from tasks.common.duty import alert_failure, failure_line, load_runbooks, reports_index
from tasks.common.findings import DutyReport
from tasks.common.night import NightItem, Shard, night_share, scheduled_items
from tasks.common.steps import inline_steps
from tasks.core.errors import ConfigError, field_problems
from tasks.core.retry import RETRY

SHOWN = 20  # failures named in the final state's message; every one is in the result and the artifact


@task(name="night-duty", task_run_name="{duty}/{system}", **RETRY)
def run_duty(duty: Duty, system: str, catalog: Catalog) -> list[DutyReport]:
    """One system's duty, the work its own flow run would do, its steps as plain calls (tasks/common/steps.py):
    retried as a whole when a step's failure may heal by itself; ``catalog`` holds that system alone."""
    with inline_steps():
        return duty_work(duty)(catalog, system)


class NightSummary(BaseModel):
    """What a batch did, by ``duty/system``: the batch flow run's result."""

    batch: str
    done: dict[str, str] = {}  # every duty run that finished, and its reports' statuses (outcomes has two)
    attention: list[str] = []  # those an owner must act on
    failed: dict[str, str] = {}  # those that could not run (or a runbook that could not be read), and why

    def headline(self) -> str:
        total = len(self.done) + len(self.failed)
        line = f"{self.batch}: {total} duty run(s)"
        if self.failed:
            names = ", ".join(list(self.failed)[:SHOWN]) + (f" and {len(self.failed) - SHOWN} more"
                                                           if len(self.failed) > SHOWN else "")
            line += f", {len(self.failed)} failed ({names})"
        return line + f", {len(self.attention)} need attention"

    def state(self) -> State:
        if self.failed:
            return Failed(message=self.headline(), data=self)
        if self.attention:
            return Completed(name="Attention", message=self.headline(), data=self)
        return Completed(message=self.headline(), data=self)


def batch_label(shard: str, cron: str | None, timezone: str) -> str:
    where = f"{cron} ({timezone})" if cron else "every scheduled duty"
    return f"{where}, shard {shard}"


def night_run_name() -> str:
    params = flow_run.parameters
    schedule = f"/{params['cron']} {params.get('timezone', 'UTC')}" if params.get("cron") else ""
    return f"night/{datetime.now(UTC):%Y-%m-%d}{schedule}/shard {params.get('shard', '1/1')}"


def night_items(catalog: Catalog, shard: str, cron: str | None, timezone: str,
                duties: list[Duty] | None) -> list[NightItem]:
    """The batch's share of the fleet: the items due on the schedule (every scheduled one without ``cron``)."""
    wanted = duties or list(DUTY_WORK)
    if unbatched := [d.value for d in wanted if d not in DUTY_WORK]:
        raise ConfigError(f"not in a nightly batch: {', '.join(unbatched)} (a batch runs "
                          f"{', '.join(d.value for d in DUTY_WORK)})")
    try:
        schedule = Schedule(cron=cron, timezone=timezone) if cron else None
    except ValidationError as exc:
        raise ConfigError("; ".join(map(str, field_problems(exc)))) from None
    return night_share(scheduled_items(catalog, wanted), Shard.parse(shard), schedule)


def run_night(catalog: Catalog, items: list[NightItem], summary: NightSummary) -> None:
    """Each item as a task, one after the other: on two cores a second thread only queues behind the first
    (the work is pandas and SQLite); scale out with more batch runs on more workers instead."""
    logger = get_run_logger()
    for item in items:
        state = run_duty(item.duty, item.system, catalog.subset([item.system]), return_state=True)
        if not state.is_completed():
            alert_failure(item.system, item.duty, state, str(flow_run.id), f"{flow_run.name} {item.label()}",
                          lambda: catalog)
            summary.failed[item.label()] = failure_line(state)
            logger.error("%s could not run: %s", item.label(), summary.failed[item.label()])
            continue
        reports: list[DutyReport] = state.result()
        summary.done[item.label()] = "+".join(r.status.value for r in reports)
        if any(r.needs_attention() for r in reports):
            summary.attention.append(item.label())


def publish_summary(summary: NightSummary) -> None:
    """The batch's table artifact: each duty run an owner must act on or that failed (the rest are healthy)."""
    rows = [{"duty run": label, "result": "failed", "why": why} for label, why in summary.failed.items()]
    rows += [{"duty run": label, "result": summary.done[label], "why": ""} for label in summary.attention]
    create_table_artifact(key="nightly-batch", table=rows or [{"duty run": "-", "result": "all healthy", "why": ""}],
                          description=summary.headline())


@flow(name="nightly-batch", flow_run_name=night_run_name)
def nightly_batch(shard: str = "1/1", cron: str | None = None, timezone: str = "UTC",
                  duties: list[Duty] | None = None, runbooks: str | None = None) -> State:
    """Run the scheduled duties (default windows) of this shard of the fleet: those due on ``cron`` in ``timezone``
    (every scheduled one without ``cron``), of the systems dealt to ``shard`` (``i/n``)."""
    logger = get_run_logger()
    catalog = load_runbooks(runbooks)
    items = night_items(catalog, shard, cron, timezone, duties)
    summary = NightSummary(batch=batch_label(shard, cron, timezone))
    if Shard.parse(shard).index == 1:  # a runbook that cannot be read leaves its system unwatched: say so, once
        for problem in catalog.problems:
            summary.failed.setdefault(f"runbook {problem.file}", str(problem))
    logger.info("%s: %s duty run(s) of %s system(s)", summary.batch, len(items), len({i.system for i in items}))
    run_night(catalog, items, summary)
    reports_index(quote(catalog))  # quoted: Prefect would walk a thousand runbooks looking for futures
    publish_summary(summary)
    logger.info("%s", summary.headline())
    return summary.state()
