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

# The duties a nightly batch (flows/fleet_night.py) runs as tasks of its one flow run: each module's work, the
# function its own flow calls, ``(catalog, system, window=None) -> reports``. Refresh and the change review wait
# for an owner's decision, so they keep flow runs of their own.
DUTY_WORK: dict[Duty, str] = {
    Duty.drift: "flows.drift_check:check_drift",
    Duty.outcomes: "flows.outcome_review:review_outcomes",
    Duty.cost: "flows.cost_review:review_cost",
    Duty.compliance: "flows.compliance_audit:audit_compliance",
}
BATCH_FLOW = "flows.fleet_night:nightly_batch"

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


def duty_work(duty: Duty) -> Any:
    """The function that does ``duty``'s work inside a batch's flow run (one of ``DUTY_WORK``)."""
    return load_flow(DUTY_WORK[duty])


def load_flow(path: str) -> Any:
    """The flow object (or function) at ``module:function``."""
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def flow_path(duty: Duty | None) -> str:
    """``module:function`` of ``duty``'s flow; None is the owner's report."""
    return OWNER_REPORT_FLOW if duty is None else DUTY_FLOWS[duty]


def name_of(path: str) -> str:
    """The Prefect name of the flow at ``module:function``: its function name with dashes (a test checks each)."""
    return path.rpartition(":")[2].replace("_", "-")


def entrypoint_of(path: str) -> str:
    """The ``path/to/file.py:function`` of the flow at ``module:function``, as prefect.yaml wants it."""
    module, _, function = path.partition(":")
    return f"{module.replace('.', '/')}.py:{function}"


def flow_name(duty: Duty | None) -> str:
    return name_of(flow_path(duty))
