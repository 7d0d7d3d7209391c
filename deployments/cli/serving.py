"""``steward serve``, ``steward up`` and ``steward approvals serve``: run Steward like production."""

from __future__ import annotations

from typing import Annotated

import typer

from deployments.cli.app import (
    ReceiverPortOption,
    RunbooksOption,
    UsageError,
    _catalog,
    app,
    out,
)


@app.command()
def serve(
    limit: Annotated[int, typer.Option(min=1, help="Runs at once.")] = 4,
    receiver_port: ReceiverPortOption = 3000,
    runbooks: RunbooksOption = None,
) -> None:
    """Serve every runbook's deployments, the reports and the approval receiver against PREFECT_API_URL, until Ctrl-C."""
    from deployments.plan import plan_deployments
    from deployments.serve import api_url_or_fail, serve_plans

    catalog = _catalog(runbooks)
    plans = plan_deployments(catalog)
    api = api_url_or_fail()
    out.print(f"serving {len(plans)} deployment(s) against {api}; Ctrl-C stops", markup=False)
    serve_plans(plans, limit=limit, receiver_port=receiver_port, say=lambda msg: out.print(msg, markup=False),
                catalog=catalog)


@app.command()
def up(
    port: Annotated[int, typer.Option(help="Prefect server and UI port.")] = 4200,
    host: Annotated[str, typer.Option(help="Bind address (keep loopback unless behind a proxy).")] = "127.0.0.1",
    limit: Annotated[int, typer.Option(min=1, help="Runs at once.")] = 4,
    receiver_port: ReceiverPortOption = 3000,
    runbooks: RunbooksOption = None,
) -> None:
    """Start a local Prefect server with its UI, the ops store, every deployment, the reports and the approval receiver."""
    from deployments.plan import plan_deployments
    from deployments.up import run_up

    catalog = _catalog(runbooks)
    run_up(plan_deployments(catalog), host=host, port=port, limit=limit, receiver_port=receiver_port,
           say=lambda msg: out.print(msg, markup=False), catalog=catalog)


approvals_app = typer.Typer(help="The Slack approval receiver.", no_args_is_help=True)


app.add_typer(approvals_app, name="approvals")


@approvals_app.command("serve")
def approvals_serve(
    port: Annotated[int, typer.Option(help="Port for Slack's interactivity Request URL (POST /slack/events).")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind; put a TLS proxy in front for Slack.")] = "127.0.0.1",
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="Connect out to Slack over Socket Mode "
                                              "instead (no public URL; needs STEWARD_SLACK_APP_TOKEN).")] = False,
) -> None:
    """Receive Approve/Reject clicks: verify, decide (owner or backup, first decision wins), resume the run; and
    alert Acknowledge/Snooze clicks; the sweep also escalates unacknowledged alerts."""
    from deployments.receiver import Receiver, serve_forever, signing_secret

    receiver = Receiver(None if socket_mode else signing_secret())
    where = "Slack Socket Mode" if socket_mode else f"http://{host}:{port}/slack/events"
    out.print(f"approval receiver on {where} (Ctrl-C to stop)")
    try:
        serve_forever(receiver, host, port, socket_mode=socket_mode)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        pass

