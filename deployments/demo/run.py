"""``steward demo``: simulated logs for the two demo systems, every available duty through Prefect.

The demo never talks to a real Slack: alerts go to the local fake Slack
Web API, and the summary shows what the owners were sent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from deployments.demo.notes import demo_notes
from deployments.demo.owner import owner_approves
from flows.registry import available, duty_flow
from runbooks.loader import Catalog, default_runbooks_dir, load_catalog
from runbooks.spec import Duty
from tasks.common.findings import DutyReport
from tasks.core.errors import ConfigError, StewardError
from tasks.core.windows import Window
from tasks.slack.fake import running_fake_slack
from tasks.store.database import steward_home

EXIT_DEMO_FAILED = 1  # some duty runs failed; they are listed after the summary
DEMO_NIGHTS = 3  # the last nights replayed, so repeat alerts update instead of re-paging


def nightly_windows(end: date, incident_days: list[date]) -> list[str]:
    """The nights to replay: the night before and of each incident, then the last few nights."""
    before = [d - timedelta(days=1) for d in incident_days]
    nights = sorted({*before, *incident_days, *(end - timedelta(days=i) for i in range(DEMO_NIGHTS))})
    return [d.isoformat() for d in nights]


def outcome_windows(end: date, incident_days: list[date]) -> list[str]:
    """The night before each incident and three nights in a row once it shows (a sustained breach), a day
    mature for every demo system (fraud labels take 14 days) and one only the 2-day support outcomes reach."""
    nights = {d + timedelta(days=k) for d in incident_days for k in (-1, 3, 4, 5)}
    return [d.isoformat() for d in sorted({*nights, end - timedelta(days=15), end - timedelta(days=3)})]


def refresh_window(end: date, _incidents: list[date]) -> list[str]:
    """One refresh, held out on the last week whose labels have matured (the fraud runbook's 14 days)."""
    return [f"{end - timedelta(days=20)}..{end - timedelta(days=14)}"]


def monthly_windows(end: date, incident_days: list[date]) -> list[str]:
    """The month before the first incident through the month of ``end``; when ``end`` is yesterday,
    its month runs whole, so the review covers the month to date and forecasts the rest."""
    month = (min(incident_days, default=end).replace(day=1) - timedelta(days=1)).replace(day=1)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    labels = []
    while month <= end:
        whole = Window.month(f"{month:%Y-%m}")
        labels.append(whole.label() if whole.end.date() <= end + timedelta(days=1) or end >= yesterday
                      else f"{month}..{end}")
        month = (month + timedelta(days=32)).replace(day=1)
    return labels


def weekly_windows(end: date, incident_days: list[date]) -> list[str]:
    """The last two weeks: the first audit seals its days, the second shows the chain continuing."""
    return [f"{end - timedelta(days=13)}..{end - timedelta(days=7)}", f"{end - timedelta(days=6)}..{end}"]


# Which windows the demo replays for each duty, given the last day and the first days of its incidents.
DEMO_WINDOWS: dict[Duty, Callable[[date, list[date]], list[str]]] = {
    Duty.drift: nightly_windows,
    Duty.outcomes: outcome_windows,
    Duty.refresh: refresh_window,
    Duty.cost: monthly_windows,
    Duty.compliance: weekly_windows,
}


class DutyFailure(BaseModel):
    """A duty run the demo could not finish: listed in the summary instead of aborting the demo."""

    system: str
    duty: Duty
    window: str
    reason: str
    internal: bool  # not a StewardError: a bug, whose traceback is in the Prefect run's log


def _attempt(system: str, duty: Duty, window: str, run: Callable[[], DutyReport],
             failures: list[DutyFailure]) -> DutyReport | None:
    """Run one duty; a failure is recorded (duty, window, reason) so the rest of the demo still runs."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - every failure is listed in the summary and sets the exit code
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        internal = not isinstance(exc, StewardError)
        failures.append(DutyFailure(system=system, duty=duty, window=window, internal=internal,
                                    reason=f"internal error: {type(exc).__name__}: {reason}" if internal else reason))
        return None


def owner_months(end: date) -> list[str]:
    """The months whose owner pages the demo builds: the month to date when the log ends inside it, then the
    last whole month (what the monthly deployment sends the owner on the 2nd), so the portfolio shows that one."""
    to_date = [] if (end + timedelta(days=1)).day == 1 else [f"{end:%Y-%m}"]
    return [*to_date, Window.month_before(end + timedelta(days=1))]


def owner_pages(catalog: Catalog, end: date, console: Console) -> None:
    """The owners' monthly pages and the portfolio, from what the duties stored."""
    from tasks.owner.build import portfolio

    for month in owner_months(end):
        page, rows, reports = portfolio(catalog, month)
        console.print(f"[bold]Owner's reports[/bold] ({month}) · portfolio: {page}")
        for row, report in zip(rows, reports, strict=True):
            console.print(f"  {row.system:<18} SLA {row.sla_state}, readiness level {row.readiness_level} of 5: "
                          f"{report.path}", markup=False)


def run_demo(days: int, end: date | None, scale: float, console: Console) -> int:
    from deployments.demo.simulator import incidents, write_demo_database

    started = time.monotonic()
    end = end or (datetime.now(UTC).date() - timedelta(days=1))
    home = steward_home()
    os.environ["STEWARD_HOME"] = str(home)
    catalog = load_catalog(default_runbooks_dir())
    if catalog.problems:
        raise ConfigError(f"shipped runbooks are invalid: {catalog.problems[0]}")

    console.print(f"[bold]Steward demo[/bold] · {days} days of logs ending {end} · data in {home}")
    with console.status("simulating logs…") as status:
        counts = write_demo_database(f"sqlite:///{home / 'demo.db'}", end=end, days=days, scale=scale,
                                     progress=lambda msg: status.update(msg))
    console.print("simulated " + ", ".join(f"{n:,} rows of {t}" for t, n in counts.items()))
    story = incidents(end, days)
    console.print("[bold]Injected incidents[/bold] (what the duties should find):")
    for i in story:
        until = "end" if i.end is None else str(i.end)
        console.print(f"  {i.system:<18} {i.name:<22} {i.start} → {until:<10} [{i.duty}] {i.description}", markup=False)
    reports: list[DutyReport] = []
    failures: list[DutyFailure] = []
    with running_fake_slack() as fake, owner_approves(fake) as approved:
        os.environ["STEWARD_SLACK_BOT_TOKEN"] = fake.token
        os.environ["STEWARD_SLACK_API_URL"] = fake.api_url
        for system, spec in sorted(catalog.specs.items()):
            for duty in spec.duties():
                if not available(duty) or duty not in DEMO_WINDOWS:  # the change review waits for a candidate
                    continue
                flow = duty_flow(duty)
                firsts = [i.start for i in story if i.system == system and i.duty == duty.value]
                for window in DEMO_WINDOWS[duty](end, firsts):
                    report = _attempt(system, duty, window, lambda: flow(system=system, window=window), failures)
                    if report is None:
                        console.print(f"  [red]failed[/red] {system} · {duty.value} · {window}: "
                                      f"{escape(failures[-1].reason)}")
                        continue
                    reports.append(report)
                    console.print(f"  ran {system} · {duty.value} · {window}: {report.status.value}", markup=False)
        if available(Duty.compliance):
            from deployments.demo.compliance import SUPPORT_SYSTEM, tamper_drill, versus_planted

            audits = [r for r in reports if r.duty is Duty.compliance and r.system == SUPPORT_SYSTEM]
            if audits:
                versus_planted(audits, console)
                drill_window = weekly_windows(end, [])[-1]
                drill = _attempt(SUPPORT_SYSTEM, Duty.compliance, drill_window,
                                 lambda: tamper_drill(drill_window, console), failures)
                if drill is not None:
                    reports.append(drill)
        # Duty summaries (tasks/slack/summary.py) open with a header block; alerts do not.
        summaries = sum(1 for m in fake.posted() if (m.get("blocks") or [{}])[0].get("type") == "header")
        posted, updated = len(fake.posted()) - summaries, len(fake.posted("chat.update"))

    console.print("[bold]Summary per system[/bold] (latest window of each duty):")
    latest = {(r.system, r.duty): r for r in sorted(reports, key=lambda r: r.window_end)}
    for system in sorted(catalog.specs):
        console.print(f"  [bold]{system}[/bold] · owner {catalog.get(system).owner.name}")
        for (name, duty), r in latest.items():
            if name == system:
                console.print(f"    {duty.value:<10} {r.window.label()}  {r.status.value:<9} {r.headline}", markup=False)
                console.print(f"    {'':<10} report: {r.report_path}", markup=False)
        for duty in catalog.get(system).duties():
            for line in demo_notes(duty, [r for r in reports if r.system == system and r.duty is duty]):
                console.print(f"    {'':<10} {line}", markup=False)
        missing = [d.value for d in catalog.get(system).duties() if not available(d)]
        if missing:
            console.print(f"    not built yet: {', '.join(missing)}", markup=False)
    owner_pages(catalog, end, console)
    console.print(f"Slack (local fake): {posted} message(s) posted to owners, {updated} message update(s) for repeat "
                  f"or recovered incidents and decisions, {summaries} duty summaries; {len(approved)} approval(s) "
                  f"clicked by the owner.")
    if failures:
        console.print(f"[bold red]{len(failures)} duty run(s) failed[/bold red] (everything else above ran):")
        for f in failures:
            console.print(f"  {f.system} · {f.duty.value} · {f.window}: {escape(f.reason)}")
        if any(f.internal for f in failures):
            console.print("  internal errors are bugs: the traceback is in the Prefect run's log "
                          "(or rerun that duty with STEWARD_DEBUG=1)")
    console.print(f"Next: [bold]steward status[/bold], [bold]steward run drift fraud-scoring --window {end}[/bold]"
                  f" · demo took {time.monotonic() - started:.0f} s")
    return EXIT_DEMO_FAILED if failures else 0
