"""``steward baseline`` and ``steward drift``: drift baselines, and ad-hoc drift between two files."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from deployments.cli.app import (
    EXIT_ATTENTION,
    EXIT_OK,
    FormatOption,
    RunbooksOption,
    UsageError,
    _catalog,
    _check_format,
    _from_flags,
    app,
    err,
    out,
)
from runbooks.thresholds import MIN_ROWS, DriftThresholds


@app.command()
def baseline(
    system: Annotated[str, typer.Argument(help="The system id from its runbook.")],
    start: Annotated[str | None, typer.Option("--from", help="First day of the reference period, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day of the reference period (inclusive).")] = None,
    snapshot: Annotated[str | None, typer.Option(help="Or: a training snapshot (Parquet or CSV) with the same columns.")] = None,
    runbooks: RunbooksOption = None,
) -> None:
    """Build and store a new drift baseline (reference profile): a period of the log, or a training snapshot."""
    import getpass

    from tasks.core.windows import Window
    from tasks.drift.baseline import create_baseline, create_baseline_from_file

    spec = _catalog(runbooks).get(system)
    if spec.drift is None:
        raise UsageError(f"{system}'s runbook has no drift section")
    if snapshot and (start or end):
        raise UsageError("give either --snapshot or --from/--to, not both")
    if snapshot:
        with err.status(f"profiling {snapshot}…"):
            record = create_baseline_from_file(spec, snapshot, actor=getpass.getuser())
        out.print(f"{system}: baseline v{record.version} from snapshot {snapshot} ({record.rows:,} rows) is now in force")
        return
    if not (start and end):
        raise UsageError("give --from and --to (a period of the log), or --snapshot FILE")
    window = Window.parse(f"{start}..{end}")
    with err.status(f"profiling {system} over {window.label()}…"):
        record = create_baseline(spec, window, actor=getpass.getuser())
    out.print(f"{system}: baseline v{record.version} from {window.label()} ({record.rows:,} rows) is now in force")


@app.command("drift")
def drift_files(
    reference: Annotated[str, typer.Argument(help="Reference data: a Parquet or CSV file.")],
    current: Annotated[str, typer.Argument(help="Current data to judge against it.")],
    columns: Annotated[str | None, typer.Option(help="Comma-separated columns (default: all in the reference).")] = None,
    fmt: FormatOption = "table",
    psi: Annotated[float, typer.Option(help="PSI threshold for numeric columns.")] = 0.2,
    jensen_shannon: Annotated[float, typer.Option(help="Jensen-Shannon threshold for categorical columns.")] = 0.1,
    wasserstein: Annotated[float, typer.Option(help="Normalised Wasserstein threshold for numeric columns.")] = 0.1,
    min_rows: Annotated[int, typer.Option(min=1, help="Fewer values in a column of either file: 'insufficient "
                                          "data', no verdict (a runbook's drift.min_rows).")] = MIN_ROWS,
) -> None:
    """Ad-hoc drift between two files; exit 1 when any column drifted."""
    _check_format(fmt)
    from tasks.drift.stats import compare_profiles
    from tasks.io.files import profile_file

    thresholds = _from_flags(DriftThresholds, psi=psi, jensen_shannon=jensen_shannon, wasserstein=wasserstein)
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    reference_profile = profile_file(reference, wanted)
    current_profile = profile_file(current, reference=reference_profile)
    results = compare_profiles(reference_profile, current_profile, thresholds, min_rows)
    drifted = [r.name for r in results if r.drifted]
    unjudged = [r.name for r in results if r.score is None]
    if fmt == "json":
        keys = {"name", "kind", "method", "score", "threshold", "drifted", "p_value", "note"}
        print(json.dumps({"columns": [r.model_dump(include=keys) for r in results], "drifted": drifted}))
    else:
        from rich.table import Table

        table = Table("column", "kind", "method", "score", "threshold", "drifted", "p-value (secondary)", "note", box=None)
        for r in results:
            score = "-" if r.score is None else f"{r.score:.4f}"
            p_value = "-" if r.p_value is None else f"{r.p_value:.2g}"
            new = f"new: {', '.join(r.new_categories[:5])}" if r.new_categories else ""
            table.add_row(r.name, r.kind, r.method, score, str(r.threshold), "yes" if r.drifted else "no", p_value,
                          r.note or new)
        out.print(table)
        out.print(f"{len(drifted)} of {len(results)} columns drifted" + (f": {', '.join(drifted)}" if drifted else "")
                  + (f"; insufficient data in {len(unjudged)}: {', '.join(unjudged)}" if unjudged else ""))
    raise typer.Exit(EXIT_ATTENTION if drifted else EXIT_OK)

