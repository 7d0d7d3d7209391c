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


def available(duty: Duty) -> bool:
    return duty in DUTY_FLOWS


def duty_flow(duty: Duty) -> Any:
    """The Prefect flow object for ``duty``; ``LookupError`` when it is not built yet."""
    if duty not in DUTY_FLOWS:
        built = ", ".join(d.value for d in DUTY_FLOWS)
        raise ConfigError(f"duty {duty.value!r} has no flow yet (available: {built})")
    module, _, name = DUTY_FLOWS[duty].partition(":")
    return getattr(import_module(module), name)


def flow_name(duty: Duty) -> str:
    """A duty flow's Prefect name: its function name with dashes (a test checks every flow)."""
    return DUTY_FLOWS[duty].rpartition(":")[2].replace("_", "-")


def entrypoint(duty: Duty) -> str:
    """The flow's ``path/to/file.py:function``, as prefect.yaml wants it."""
    module, _, function = DUTY_FLOWS[duty].partition(":")
    return f"{module.replace('.', '/')}.py:{function}"
