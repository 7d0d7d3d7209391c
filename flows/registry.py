"""Which flow carries out each duty. Imported lazily: Prefect takes seconds to import."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from runbooks.spec import Duty

DUTY_FLOWS: dict[Duty, str] = {
    Duty.drift: "flows.drift_check:drift_check",
    Duty.compliance: "flows.compliance_audit:compliance_audit",
}


def available(duty: Duty) -> bool:
    return duty in DUTY_FLOWS


def duty_flow(duty: Duty) -> Any:
    """The Prefect flow object for ``duty``; ``LookupError`` when it is not built yet."""
    if duty not in DUTY_FLOWS:
        built = ", ".join(d.value for d in DUTY_FLOWS)
        raise LookupError(f"duty {duty.value!r} has no flow yet (available: {built})")
    module, _, name = DUTY_FLOWS[duty].partition(":")
    return getattr(import_module(module), name)
