"""The demo systems, their dated incidents (what every duty should find) and label maturity."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

FRAUD_SYSTEM = "fraud-scoring"
SUPPORT_SYSTEM = "support-assistant"
TABLES = ("fraud_decisions", "fraud_outcomes", "support_interactions", "support_outcomes")

# Incident offsets, in days from the first simulated day.
DEVICE_SHIFT_DAY = 60
APP_RECALL_DAY = 60
VOLUME_DIP_DAY = 75
PROMPT_V3_DAY = 50
SPIKE_FIRST_DAY, SPIKE_LAST_DAY = 75, 78
SMALLTALK_4O_DAY = 60
MISSING_VERSION_DAY = 80

# Label maturity: fraud is usually reported by the cardholder within days,
# formal chargebacks take 20-90 days; a transaction with no report after
# NO_FRAUD_LABEL_DAYS is labelled genuine.
NO_FRAUD_LABEL_DAYS = 14
CHARGEBACK_SHARE = 0.15


class Incident(BaseModel):
    """One planted, dated problem that a given Steward duty should notice."""

    model_config = ConfigDict(frozen=True)

    system: Literal["fraud-scoring", "support-assistant"]
    name: str
    start: date
    end: date | None
    duty: Literal["drift", "outcomes", "cost", "compliance"]
    description: str


def first_day(end: date, days: int) -> date:
    if days < 1:
        raise ValueError("days must be >= 1")
    return end - timedelta(days=days - 1)


def incidents(end: date, days: int = 90) -> list[Incident]:
    """The planted incidents with concrete dates; those starting after ``end`` are left out."""
    s = first_day(end, days)

    def on(offset: int) -> date:
        return s + timedelta(days=offset)

    # (system, name, first day, last day or None, duty, description)
    planned = [
        (FRAUD_SYSTEM, "device-trust-shift", DEVICE_SHIFT_DAY, None, "drift",
         "A new mobile SDK lowers device_trust_score on the app channel and a never-seen "
         "merchant category 'crypto' appears in about 3% of authorisations."),
        (FRAUD_SYSTEM, "app-recall-drop", APP_RECALL_DAY, None, "outcomes",
         "Fraudsters on the app spoof device and IP signals, so app fraud scores lower and recall "
         "on the app slice falls from about 0.8 to about 0.5 while overall AUC barely moves."),
        (FRAUD_SYSTEM, "volume-dip", VOLUME_DIP_DAY, VOLUME_DIP_DAY, "drift",
         "An upstream outage cuts one day's authorisation traffic to 40% of normal."),
        (SUPPORT_SYSTEM, "prompt-bloat", PROMPT_V3_DAY, None, "cost",
         "Prompt support-v3 adds about 1,200 input tokens to every billing conversation."),
        (SUPPORT_SYSTEM, "traffic-spike", SPIKE_FIRST_DAY, SPIKE_LAST_DAY, "cost",
         "A billing-email mix-up sends 2.5 times the usual chat volume for four days."),
        (SUPPORT_SYSTEM, "costly-model-on-easy", SMALLTALK_4O_DAY, None, "cost",
         "Small talk is routed to gpt-4o instead of gpt-4o-mini with no gain in resolution rate."),
        (SUPPORT_SYSTEM, "pii-leak", 0, None, "compliance",
         "About 0.3% of customer messages contain an email address, phone number, card number "
         "or IBAN that is stored in the log unredacted."),
        (SUPPORT_SYSTEM, "missing-model-version", MISSING_VERSION_DAY, None, "compliance",
         "About 2% of interactions are logged without a model_version, breaking traceability."),
    ]
    dated = [
        Incident(system=system, name=name, start=on(first), end=None if last is None else on(last),
                 duty=duty, description=description)
        for system, name, first, last, duty, description in planned
    ]
    return [i for i in dated if i.start <= end]
