"""Which deployments the runbooks ask for: one per (duty, system) and the owner's report per system,
named ``<flow>/<system>``; with ``nightly_batch`` in ``runbooks/fleet.yaml``, the batch deployments too.

Pure and Prefect-free, so ``steward status`` and the prefect.yaml renderer stay fast.
``steward serve`` turns the same plan into served deployments, and ``prefect.yaml``
is rendered from it, so the two can never disagree. A new runbook file adds its
deployments with no code change.

A fleet that batches its nights gets one ``nightly-batch`` deployment per (schedule, shard), on the schedule:
at 02:00 UTC the shards of ``0 2 * * * (UTC)`` each run every duty due then of their systems, a task apiece
(``flows/fleet_night.py``). The per-system deployments of those duties stay, unscheduled, for runs by hand.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from flows.registry import BATCH_FLOW, DUTY_FLOWS, DUTY_WORK, OWNER_REPORT_CRON, entrypoint_of, flow_path, name_of
from runbooks.loader import Catalog
from runbooks.spec import Duty, Schedule
from tasks.common.night import Shard, night_share, schedules, scheduled_items

WORK_POOL = "steward"


class DeploymentPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    duty: Duty | None  # None: the owner's monthly report (flows/owner_report.py), or a nightly batch
    system: str | None  # None: a nightly batch, whose systems are its shard of those due on its schedule
    flow: str  # module:function
    name: str  # the deployment's own name: the system, or the batch's schedule and shard
    parameters: dict[str, Any]
    cron: str | None
    timezone: str
    description: str
    batched_in: str | None = None  # the nightly-batch deployment that runs this duty on its schedule

    @property
    def flow_name(self) -> str:
        return name_of(self.flow)

    @property
    def entrypoint(self) -> str:
        return entrypoint_of(self.flow)

    @property
    def full_name(self) -> str:
        """What ``prefect deployment run`` and ``run_deployment`` take."""
        return f"{self.flow_name}/{self.name}"

    @property
    def when(self) -> str:
        """Its schedule as ``steward deployments`` and ``steward status`` show it."""
        if self.cron:
            return f"{self.cron} ({self.timezone})"
        return f"in {self.batched_in}" if self.batched_in else "manual"

    @property
    def tags(self) -> list[str]:
        kind = self.duty.value if self.duty else "owner-report" if self.system else "nightly-batch"
        return ["steward", kind, *([self.system] if self.system else [])]


def plan_deployments(catalog: Catalog) -> list[DeploymentPlan]:
    """Every enabled duty that has a flow, for every system (duties without a schedule are manual-only), each
    system's monthly owner's report, and the nightly batches when the fleet asks for them."""
    batches = plan_batches(catalog, catalog.fleet.nightly_batch.shards) if catalog.fleet.nightly_batch else []
    plans = []
    for system, spec in sorted(catalog.specs.items()):
        for duty, section in spec.duties().items():
            if duty not in DUTY_FLOWS:
                continue
            batch = next((b for b, members in batches if (system, duty) in members), None)
            schedule = None if batch else section.schedule
            if schedule:
                when = f"{schedule.cron} ({schedule.timezone})"
            else:
                when = f"on schedule in {batch.full_name}, by hand here" if batch else "manual or triggered"
            plans.append(DeploymentPlan(
                duty=duty, system=system, flow=flow_path(duty), name=system, parameters={"system": system},
                cron=schedule.cron if schedule else None, timezone=schedule.timezone if schedule else "UTC",
                description=f"{duty.value} for {system} (owner {spec.owner.name}), {when}.",
                batched_in=batch.full_name if batch else None,
            ))
        zone = next((s.schedule.timezone for s in (spec.cost, spec.outcomes) if s and s.schedule), "UTC")
        plans.append(DeploymentPlan(
            duty=None, system=system, flow=flow_path(None), name=system, parameters={"system": system},
            cron=OWNER_REPORT_CRON, timezone=zone, description=f"the monthly owner's report for {system} "
                                                               f"({spec.owner.name}), {OWNER_REPORT_CRON} ({zone}).",
        ))
    return plans + [batch for batch, _ in batches]


def plan_batches(catalog: Catalog, shards: int) -> list[tuple[DeploymentPlan, set[tuple[str, Duty]]]]:
    """One ``nightly-batch`` deployment per schedule a batched duty runs on and shard of its systems, with the
    (system, duty) pairs it runs: the batch flow deals its share the same way when it runs."""
    items = scheduled_items(catalog, DUTY_WORK)
    plans = []
    for schedule in schedules(items):
        due = [item for item in items if item.schedule == schedule]
        duties = ", ".join(sorted({item.duty.value for item in due}))
        for shard in (Shard(index=i, count=shards) for i in range(1, shards + 1)):
            plan = DeploymentPlan(
                duty=None, system=None, flow=BATCH_FLOW, name=f"{slug(schedule)}-shard-{shard.index}-of-{shards}",
                parameters={"shard": shard.label(), "cron": schedule.cron, "timezone": schedule.timezone},
                cron=schedule.cron, timezone=schedule.timezone,
                description=f"the nightly batch of {duties} due at {schedule.cron} ({schedule.timezone}), shard "
                            f"{shard.label()} of {len({item.system for item in due})} system(s).",
            )
            plans.append((plan, {(item.system, item.duty) for item in night_share(due, shard)}))
    return plans


def slug(schedule: Schedule) -> str:
    """A deployment name for a schedule, without the '/' Prefect refuses: ``0 7 * * *`` in America/New_York is
    ``0_7_x_x_x-america-new_york``; ``*/15`` is ``xs15``."""
    cron = "_".join(field.replace("*", "x").replace("/", "s").replace(",", "+") for field in schedule.cron.split())
    return f"{cron}-{schedule.timezone.replace('/', '-').lower()}"


def render_prefect_yaml(plans: list[DeploymentPlan]) -> str:
    """prefect.yaml for work pools, rendered from the same plan ``steward serve`` uses."""
    import yaml

    header = (
        "# Deployments for work pools (production), rendered by `steward deployments --write prefect.yaml`\n"
        "# from runbooks/systems/*.yaml: do not edit by hand. Create the pool once:\n"
        f"#   prefect work-pool create {WORK_POOL} --type process\n"
        "# then, from this folder, with STEWARD_REPO set to it:  prefect deploy --all\n"
    )
    body = {
        "name": "steward",
        "prefect-version": "3.8.8",
        "pull": [{"prefect.deployments.steps.set_working_directory": {"directory": "{{ $STEWARD_REPO }}"}}],
        "deployments": [
            {
                "name": p.name,
                "entrypoint": p.entrypoint,
                "description": p.description,
                "parameters": p.parameters,
                "schedules": [{"cron": p.cron, "timezone": p.timezone}] if p.cron else [],
                "work_pool": {"name": WORK_POOL},
            }
            for p in plans
        ],
    }
    return header + yaml.safe_dump(body, sort_keys=False, width=120)
