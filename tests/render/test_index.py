"""The reports index and the report server: read-only, nothing outside the reports folder."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import REPO
from deployments.receiver import HttpReceiver, Site, serve_in_background
from deployments.serve import report_site
from runbooks.loader import load_catalog
from runbooks.spec import Duty
from tasks.common.duty import persist_report
from tasks.common.findings import DutyReport, Finding
from tasks.render.html import report_path
from tasks.render.index import COLOURS, gather_index, index_html, write_index
from tasks.render.links import reports_dir
from tasks.core.status import CheckStatus
from tasks.store.database import open_store

CATALOG = load_catalog(REPO / "runbooks")


def night(system: str, duty: Duty, status: CheckStatus, day: int = 20) -> DutyReport:
    start = datetime(2026, 11, day, tzinfo=UTC)
    page = report_path(system, duty.value, start.date().isoformat())
    page.write_text(f"<!doctype html><title>{system} {duty.value}</title><h1>{system} {duty.value} report</h1>")
    findings = [Finding(key="feature:x", severity="warning", title="x drifted")] if status == "attention" else []
    return DutyReport(system=system, duty=duty, window_start=start, window_end=start + timedelta(days=1), status=status,
                      headline=f"{system} {duty.value} {status.value}", report_path=str(page), findings=findings)


@pytest.fixture
def stored() -> None:
    with open_store().session() as session:
        persist_report(session, night("fraud-scoring", Duty.drift, CheckStatus.attention), CATALOG)
        persist_report(session, night("support-assistant", Duty.drift, CheckStatus.healthy), CATALOG)


def test_the_index_lists_every_system_its_owner_and_each_duty_by_status(stored) -> None:
    with open_store().session() as session:
        page = gather_index(session, CATALOG)
    assert [s.system for s in page.systems] == sorted(CATALOG.specs)
    fraud = next(s for s in page.systems if s.system == "fraud-scoring")
    drift = next(c for c in fraud.duties if c.duty == "drift")
    assert (drift.status, drift.report, drift.window) == ("attention", "fraud-scoring/drift/2026-11-20.html", "2026-11-20")
    assert [a.title for a in fraud.alerts] == ["fraud-scoring drift attention"]
    html = index_html(page)
    assert f"data-duty='drift' data-status='attention'><td>drift</td><td><span class='status' style='background:{COLOURS[CheckStatus.attention]}'" in html
    assert f"style='background:{COLOURS[CheckStatus.healthy]}'>healthy" in html
    assert "never run" in html  # duties switched on but not run yet
    assert CATALOG.get("fraud-scoring").owner.name in html
    assert "href='fraud-scoring/drift/2026-11-20.html'" in html  # relative: opens as a file too
    assert str(reports_dir()) not in html
    written = write_index(page)
    assert written == reports_dir() / "index.html" and written.read_text() == html


@pytest.fixture
def server(stored) -> Iterator[HttpReceiver]:
    running = serve_in_background(None, site=report_site(CATALOG))
    yield running
    running.shutdown()


def get(url: str, method: str = "GET") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def raw(server: HttpReceiver, target: str) -> int:
    """The status for a request line sent as is (no client-side normalising of ``..``)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return int(conn.recv(65536).split(b" ", 2)[1])


def test_the_served_report_and_index_and_nothing_else(server: HttpReceiver, _isolated_home: Path) -> None:
    status, body = get(f"{server.base_url}/reports/fraud-scoring/drift/2026-11-20.html")
    assert status == 200 and "fraud-scoring drift report" in body
    status, index = get(f"{server.base_url}/")
    assert status == 200 and "fraud-scoring" in index and "support-assistant" in index
    assert "href='reports/fraud-scoring/drift/2026-11-20.html'" in index
    (_isolated_home / "secret.txt").write_text("not for you")
    for escape in ("/reports/../secret.txt", "/reports/..%2fsecret.txt", "/reports/%2e%2e/secret.txt",
                   "/reports/fraud-scoring/../../secret.txt", "/reports/../steward.db"):
        assert raw(server, escape) == 404, escape
    assert get(f"{server.base_url}/reports/fraud-scoring/drift/2026-11-20.html", method="POST")[0] == 405
    assert get(f"{server.base_url}/reports/fraud-scoring/drift/2026-11-20.html", method="HEAD")[0] == 200
    assert get(f"{server.base_url}/slack/events", method="POST")[0] in (404, 405)  # no receiver: no click taken


def test_the_reports_folder_served_needs_no_site_to_exist_first(tmp_path: Path) -> None:
    running = serve_in_background(None, site=Site(reports=tmp_path / "new", index=lambda base: "<p>empty</p>"))
    try:
        assert get(f"{running.base_url}/")[1] == "<p>empty</p>"
        assert get(f"{running.base_url}/reports/nothing.html")[0] == 404
    finally:
        running.shutdown()
