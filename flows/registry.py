"""Which flow carries out each duty. Imported lazily: Prefect takes seconds to import."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from runbooks.spec import Duty
from tasks.core.errors import ConfigError

DUTY_FLOWS: dict[Duty, str] = {
    Duty.drift: "flows.drift_check:drift_check",
    Duty.outcomes: "flows.outcome_review:outcome_review",
    Duty.refresh: "flows.model_refresh:model_refresh",
    Duty.cost: "flows.cost_review:cost_review",
    Duty.compliance: "flows.compliance_audit:compliance_audit",
    Duty.change_review: "flows.change_review:change_review",
}

# Not a duty: the owner's monthly report reads what the duties stored (one scheduled deployment per system).
OWNER_REPORT_FLOW = "flows.owner_report:owner_report"
OWNER_REPORT_CRON = "0 9 2 * *"  # the 2nd of the month, 09:00: after the monthly cost review of the 1st


def available(duty: Duty) -> bool:
    return duty in DUTY_FLOWS


def duty_flow(duty: Duty) -> Any:
    """The Prefect flow object for ``duty``; ``LookupError`` when it is not built yet."""
    if duty not in DUTY_FLOWS:
        built = ", ".join(d.value for d in DUTY_FLOWS)
        raise ConfigError(f"duty {duty.value!r} has no flow yet (available: {built})")
    return load_flow(DUTY_FLOWS[duty])


def load_flow(path: str) -> Any:
    """The flow object at ``module:function``."""
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def flow_path(duty: Duty | None) -> str:
    """``module:function`` of ``duty``'s flow; None is the owner's report."""
    return OWNER_REPORT_FLOW if duty is None else DUTY_FLOWS[duty]


def flow_name(duty: Duty | None) -> str:
    """A flow's Prefect name: its function name with dashes (a test checks every flow)."""
    return flow_path(duty).rpartition(":")[2].replace("_", "-")


def entrypoint(duty: Duty | None) -> str:
    """The flow's ``path/to/file.py:function``, as prefect.yaml wants it."""
    module, _, function = flow_path(duty).partition(":")
    return f"{module.replace('.', '/')}.py:{function}"
