"""Which deployments the runbooks ask for: one per (duty, system) and the owner's report per system,
named ``<flow>/<system>``.

Pure and Prefect-free, so ``steward status`` and the prefect.yaml renderer stay fast.
``steward serve`` turns the same plan into served deployments, and ``prefect.yaml``
is rendered from it, so the two can never disagree. A new runbook file adds its
deployments with no code change.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from flows.registry import DUTY_FLOWS, OWNER_REPORT_CRON, entrypoint, flow_name
from runbooks.loader import Catalog
from runbooks.spec import Duty

WORK_POOL = "steward"


class DeploymentPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    duty: Duty | None  # None: the owner's monthly report (flows/owner_report.py)
    system: str
    flow_name: str
    entrypoint: str
    cron: str | None
    timezone: str
    description: str

    @property
    def full_name(self) -> str:
        """What ``prefect deployment run`` and ``run_deployment`` take."""
        return f"{self.flow_name}/{self.system}"


def plan_deployments(catalog: Catalog) -> list[DeploymentPlan]:
    """Every enabled duty that has a flow, for every system (duties without a schedule are manual-only), and
    each system's monthly owner's report."""
    plans = []
    for system, spec in sorted(catalog.specs.items()):
        for duty, section in spec.duties().items():
            if duty not in DUTY_FLOWS:
                continue
            schedule = section.schedule
            when = f"{schedule.cron} ({schedule.timezone})" if schedule else "manual or triggered"
            plans.append(DeploymentPlan(
                duty=duty, system=system, flow_name=flow_name(duty), entrypoint=entrypoint(duty),
                cron=schedule.cron if schedule else None, timezone=schedule.timezone if schedule else "UTC",
                description=f"{duty.value} for {system} (owner {spec.owner.name}), {when}.",
            ))
        zone = next((s.schedule.timezone for s in (spec.cost, spec.outcomes) if s and s.schedule), "UTC")
        plans.append(DeploymentPlan(
            duty=None, system=system, flow_name=flow_name(None), entrypoint=entrypoint(None), cron=OWNER_REPORT_CRON,
            timezone=zone, description=f"the monthly owner's report for {system} ({spec.owner.name}), "
                                       f"{OWNER_REPORT_CRON} ({zone}).",
        ))
    return plans


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
                "name": p.system,
                "entrypoint": p.entrypoint,
                "description": p.description,
                "parameters": {"system": p.system},
                "schedules": [{"cron": p.cron, "timezone": p.timezone}] if p.cron else [],
                "work_pool": {"name": WORK_POOL},
            }
            for p in plans
        ],
    }
    return header + yaml.safe_dump(body, sort_keys=False, width=120)
