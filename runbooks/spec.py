"""The runbook spec: what an AI system is, who owns it, and the policy for each duty.

Every model forbids unknown keys: a misspelt threshold must fail validation,
never be ignored. Later duties extend their own section with new fields only.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from runbooks.metrics import CELLS, GATE_METRICS, MODEL_METRICS, PER_DAY
from runbooks.thresholds import MIN_ROWS, STRICT, DriftThresholds

SLACK_ID = r"^[UW][A-Z0-9]{2,}$"
SLACK_CHANNEL = r"^(#[a-z0-9._-]+|[CG][A-Z0-9]{2,})$"
IDENTIFIER = r"^[a-z][a-z0-9-]{1,62}$"
_PASSWORD_IN_URL = re.compile(r"^[^:/]+(\+[^:/]+)?://[^/@:]*:[^/@]+@")


class Strict(BaseModel):
    model_config = STRICT


class Duty(StrEnum):
    drift = "drift"
    outcomes = "outcomes"
    cost = "cost"
    compliance = "compliance"
    refresh = "refresh"
    change_review = "change-review"


# A duty whose runbook section is named otherwise than the duty.
SECTION_NAMES = {Duty.change_review: "evaluation"}


class SystemKind(StrEnum):
    classifier = "classifier"
    regressor = "regressor"
    llm_app = "llm_app"


class Schedule(Strict):
    """When a duty runs: a cron expression read in the owner's timezone."""

    cron: str
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        try:
            CronSim(value, datetime(2026, 1, 1))
        except (CronSimError, ValueError, IndexError) as exc:
            raise ValueError(f"not a valid cron expression ({exc})") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA timezone such as 'Europe/Paris'") from None
        return value


class Approver(Strict):
    name: str = Field(min_length=1)
    slack_user_id: str = Field(pattern=SLACK_ID)


class Owner(Approver):
    """The accountable business owner: alerted on breaches, approves consequential changes."""

    role: str = Field(min_length=1)
    email: str | None = None
    slack_channel: str | None = Field(
        default=None, pattern=SLACK_CHANNEL, description="Post alerts here instead of a DM to the owner."
    )
    backup: Approver

    @model_validator(mode="after")
    def _backup_is_someone_else(self) -> Owner:
        if self.backup.slack_user_id == self.slack_user_id:
            raise ValueError("backup must be a different person from the owner")
        return self


DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: object) -> object:
    """``30m``, ``1h``, ``2d`` as a timedelta (anything else is left for pydantic to judge or refuse)."""
    if isinstance(value, str) and (match := DURATION.match(value.strip())):
        return timedelta(**{_UNITS[match[2]]: int(match[1])})
    return value


def format_duration(span: timedelta) -> str:
    """``1h``, ``24h``, ``2d 3h``, ``45m``: how runbooks write durations, and how Steward shows them."""
    minutes = int(span.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    return " ".join(f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (mins, "m")) if n) or "0m"


AckWithin = Annotated[timedelta, BeforeValidator(parse_duration), Field(gt=timedelta(0))]


class Escalation(Strict):
    """How long an alert may stay unacknowledged before the next person is told: first the backup, then the owner
    (or ``channel``). A severity without a deadline never escalates."""

    ack_within: dict[Literal["critical", "warning", "info"], AckWithin] = Field(
        default_factory=lambda: {"critical": timedelta(hours=1), "warning": timedelta(hours=24)},
        description="Per severity, e.g. {critical: 1h, warning: 24h} (m, h or d).")
    channel: str | None = Field(default=None, pattern=SLACK_CHANNEL,
                                description="The last step goes here instead of a DM to the owner.")


class Columns(Strict):
    """Maps Steward's vocabulary onto the column names of the system's own log."""

    request_id: str = "request_id"
    timestamp: str = "ts"
    model_version: str | None = "model_version"
    policy_version: str | None = None
    features: list[str] = []
    score: str | None = None
    prediction: str | None = None
    decision: str | None = None
    latency_ms: str | None = None
    # LLM applications
    model_name: str | None = None
    route: str | None = None
    prompt_template: str | None = None
    tokens_in: str | None = None
    tokens_out: str | None = None
    cached_tokens: str | None = None
    cost: str | None = None
    text_fields: list[str] = []
    # Human oversight
    reviewer: str | None = None
    review_ts: str | None = None


class Outcomes(Strict):
    """Where late-arriving labels live and how long they take to mature."""

    table: str | None = None
    path: str | None = None
    request_id: str = "request_id"
    timestamp: str = "outcome_ts"
    label: str | None = None
    fields: list[str] = []
    label_delay_days: int = Field(default=0, ge=0, le=730)

    @model_validator(mode="after")
    def _one_location(self) -> Outcomes:
        if (self.table is None) == (self.path is None):
            raise ValueError("give exactly one of 'table' (SQL) or 'path' (Parquet/CSV glob)")
        return self


class Source(Strict):
    """Where the system's decision log lives.

    Exactly one of: a SQLAlchemy ``url`` (without a password; ``${VAR}`` is
    expanded from the environment), ``url_env`` (an environment variable that
    holds the URL), ``block`` (a Prefect Secret block that holds it), or
    ``path`` (a Parquet/CSV glob).
    """

    url: str | None = None
    url_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    block: str | None = None
    path: str | None = None
    table: str | None = None
    columns: Columns = Columns()
    outcomes: Outcomes | None = None
    timestamp_index: Literal["brin", "btree"] | None = Field(
        default=None,
        description="An index on the log's timestamp column, created by `steward index SYSTEM` (never by a duty run): "
                    "brin for an append-only log (a few pages, however many rows), btree otherwise.",
    )

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value and _PASSWORD_IN_URL.match(value):
            raise ValueError("contains a password; put the URL in 'url_env' or a Prefect Secret 'block'")
        return value

    @model_validator(mode="after")
    def _one_location(self) -> Source:
        given = [k for k in ("url", "url_env", "block", "path") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of 'url', 'url_env', 'block' or 'path'")
        if self.path is None and not self.table:
            raise ValueError("a SQL source needs 'table' (the prediction/interaction log)")
        if self.path and self.timestamp_index:
            raise ValueError("'timestamp_index' is for a SQL table; files have no index")
        return self


class DutySection(Strict):
    """What every duty section shares: on/off, a schedule and its response playbook."""

    enabled: bool = True
    schedule: Schedule | None = None
    playbook: str | None = Field(
        default=None, description="Path under runbooks/ or a URL; default playbooks/<duty>.md."
    )


class DriftSection(DutySection):
    schedule: Schedule | None = Schedule(cron="0 2 * * *")
    window: Literal["day"] = "day"
    features: list[str] | None = Field(default=None, description="Default: source.columns.features.")
    thresholds: DriftThresholds = DriftThresholds()
    min_rows: int = Field(default=MIN_ROWS, ge=1, description="Fewer rows in a window: 'insufficient data', no verdict.")
    reference_days: int = Field(default=28, ge=1, description="Default baseline: the log's first N days.")
    max_missing_increase: float = Field(default=0.05, ge=0, le=1)
    max_out_of_range_share: float = Field(default=0.01, ge=0, le=1)
    min_volume_ratio: float = Field(default=0.5, ge=0, description="Of the rows expected for that weekday.")
    max_volume_ratio: float = Field(default=2.0, gt=0)
    partition_rows: int = Field(default=2_000_000, ge=1, description="A bigger window is read and profiled in "
                                "time slices of about this many rows, merged: memory stays bounded.")
    dask_address: str | None = Field(default=None, pattern=r"^(tcp|tls|inproc)://\S+$", description="Profile "
                                     "partitions on this Dask scheduler (or set STEWARD_DASK_ADDRESS).")


class SlaRule(Strict):
    metric: str = Field(min_length=1)
    min: float | None = None
    max: float | None = None
    slice: str | None = None

    @model_validator(mode="after")
    def _has_bound(self) -> SlaRule:
        if self.min is None and self.max is None:
            raise ValueError("an SLA rule needs 'min' or 'max'")
        return self


OutcomeCell = Literal[
    "true_positive", "false_positive", "false_negative", "true_negative", "flagged",  # classifier
    "resolved", "escalated", "failed",  # llm_app
]


class BusinessMetric(Strict):
    """One cell of the cost matrix: ``factor`` times the sum of a log column over the rows in ``cell``.

    Without ``column`` each row counts once (e.g. a fixed cost per escalation). Declarative on purpose:
    the runbook names columns and numbers, and nothing in it is ever evaluated as code.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,48}$")
    cell: OutcomeCell
    column: str | None = None
    factor: float = 1.0


class LlmSignals(Strict):
    """Where an LLM application's outcome lives: outcome fields and log columns holding true/false."""

    resolved: str | None = Field(default=None, description="Outcome field: the conversation was resolved.")
    escalated: str | None = Field(default=None, description="Outcome field: handed to a human.")
    error: str | None = Field(default=None, description="Log column: the call failed.")
    fallback: str | None = Field(default=None, description="Log column: a fallback answer was served.")


class OutcomesSection(DutySection):
    schedule: Schedule | None = Schedule(cron="0 7 * * *")
    slices: list[str] = []
    sla: list[SlaRule] = []
    min_slice_size: int = Field(default=200, ge=1)
    sustained_windows: int = Field(default=3, ge=1, description="Breached windows in a row that request a refresh.")
    evaluation_days: int = Field(
        default=14, ge=1, le=366, description="A shorter window is widened back to this many days before judging."
    )
    min_slice_positives: int = Field(
        default=30, ge=1, description="Classifier slices with fewer positives (or negatives): 'insufficient data'."
    )
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="Rates breach only outside this interval.")
    min_label_coverage: float = Field(default=0.9, gt=0, le=1, description="Of a mature window's rows.")
    flagged_decisions: list[str] = Field(default=[], description="Decisions that count as a positive prediction.")
    flag_threshold: float | None = Field(default=None, description="Or: a score at or above this is a positive.")
    reference_days: int = Field(
        default=28, ge=1, description="Mature days before the span: calibrate the estimate, baseline for changes."
    )
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    business_metrics: list[BusinessMetric] = []
    signals: LlmSignals = LlmSignals()

    @model_validator(mode="after")
    def _one_flag_rule(self) -> OutcomesSection:
        if self.flagged_decisions and self.flag_threshold is not None:
            raise ValueError("give 'flagged_decisions' or 'flag_threshold', not both")
        names = [m.name for m in self.business_metrics]
        if len(names) != len(set(names)):
            raise ValueError("business_metrics names must be unique")
        return self


class ModelPrice(Strict):
    """A negotiated or self-hosted rate, per million tokens; it replaces the public price table's."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(default=None, ge=0, description="Default: the input rate.")


class CostSection(DutySection):
    schedule: Schedule | None = Schedule(cron="0 6 1 * *")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    monthly_budget: float | None = Field(default=None, gt=0)
    cost_per_1k_predictions: float | None = Field(default=None, ge=0)
    prices: dict[str, ModelPrice] = Field(default={}, description="Per model name; wins over genai-prices.")
    success_outcome: str | None = Field(
        default=None, description="A true/false field of source.outcomes: cost per successful outcome."
    )
    easy_routes: list[str] = Field(default=[], description="Routes simple enough for the cheapest model.")
    quality_tolerance: float = Field(
        default=0.02, ge=0, le=1, description="Largest success-rate drop accepted when routing to a smaller model."
    )
    max_prompt_growth: float = Field(default=0.2, gt=0, description="Tokens per call, month over month.")
    anomaly_z: float = Field(default=3.5, gt=0, description="Robust z-score of a day's spend that flags it.")
    forecast_trailing_days: int = Field(default=7, ge=1, le=31)
    min_calls_for_advice: int = Field(
        default=100, ge=1, description="Fewest calls a route (or template, or model on it) needs before a saving is advised."
    )


class Comparison(Strict):
    """One test on one column of a log row, e.g. ``{column: amount, op: ">", value: 5000}``."""

    column: str = Field(min_length=1)
    op: Literal["==", "!=", ">", ">=", "<", "<=", "in"]
    value: str | float | int | bool | list[str | float | int]

    @model_validator(mode="after")
    def _list_only_for_in(self) -> Comparison:
        if (self.op == "in") != isinstance(self.value, list):
            raise ValueError("'in' takes a list of values; the other operators take one value")
        return self


class AllOf(Strict):
    all_of: list[Comparison] = Field(min_length=1)


class ReviewRule(Strict):
    """Which decisions need a human: any group matches when all of its comparisons hold (no eval)."""

    any_of: list[AllOf] = Field(min_length=1)

    def columns(self) -> list[str]:
        return list(dict.fromkeys(c.column for group in self.any_of for c in group.all_of))


class NationalId(Strict):
    """A national id format to look for in logged text: a regex and an optional checksum."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    pattern: str = Field(min_length=3)
    checksum: Literal["luhn", "mod97"] | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return value


class ComplianceSection(DutySection):
    schedule: Schedule | None = Schedule(cron="0 5 * * 1")
    retention_days: int | None = Field(default=None, ge=1)
    min_retention_days: int | None = Field(default=None, ge=1)
    approved_policy_versions: list[str] = []
    regulation: str | None = None
    review_rule: ReviewRule | None = Field(default=None, description="Decisions that need human review.")
    override_column: str | None = Field(
        default=None, description="The final (human) decision; differs from source.columns.decision = override."
    )
    min_reviewed_share: float = Field(default=1.0, ge=0, le=1)
    national_ids: list[NationalId] = []
    min_linkage_rate: float = Field(default=0.0, ge=0, le=1, description="Below it, outcome linkage is a finding.")

    @model_validator(mode="after")
    def _retention_consistent(self) -> ComplianceSection:
        if self.retention_days and self.min_retention_days and self.min_retention_days > self.retention_days:
            raise ValueError("min_retention_days is longer than retention_days")
        return self


class PromotionGate(Strict):
    """What a challenger must show before the owner is asked: a gain overall, no slice made worse."""

    metric: str = "pr_auc"
    min_gain: float = 0.01
    max_slice_regression: float = Field(default=0.02, ge=0)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in GATE_METRICS:
            raise ValueError(f"not a gate metric; use one of {', '.join(GATE_METRICS)}")
        return value


class RefreshSection(DutySection):
    schedule: Schedule | None = None
    trainer: str | None = Field(default=None, pattern=r"^[\w.]+:[\w]+$", description="'module:function'.")
    training_days: int = Field(default=60, ge=1)
    holdout_days: int = Field(default=7, ge=1)
    gate: PromotionGate = PromotionGate()
    approval_timeout_hours: float = Field(default=24, gt=0)
    threshold: float = Field(default=0.5, gt=0, lt=1, description="Score at or above which a row is flagged.")
    value_column: str | None = Field(default=None, description="Money at stake per row, for the business impact.")
    slices: list[str] | None = Field(default=None, description="Default: outcomes.slices.")
    min_slice_size: int = Field(default=200, ge=1, description="Smaller slices are shown, never gated on.")
    min_slice_positives: int = Field(default=20, ge=1, description="Slices with fewer positives are not gated on.")
    golden_size: int = Field(default=2000, ge=10, description="Labelled examples kept as the golden set.")


class Readiness(Strict):
    """What ``steward assess`` holds this system to (README, "The owner's report and readiness")."""

    minimum_level: int = Field(default=0, ge=0, le=5, description="Below it, 'steward assess' exits 1.")
    baseline_max_age_days: int = Field(default=90, ge=1)
    recent_run_days: int = Field(default=35, ge=1, description="A duty's last successful run must be this recent.")
    ack_target_hours: float = Field(default=4.0, gt=0, description="Alerts acknowledged within this many hours.")


class OutputCheck(Strict):
    """A deterministic check on every answer: ``contains``, ``not_contains``, ``regex`` (must match),
    ``json_schema`` (the answer parses as JSON valid against ``schema``) or ``max_length`` (characters)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True,
                              serialize_by_alias=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,48}$")
    kind: Literal["contains", "not_contains", "regex", "json_schema", "max_length"]
    value: str | int | None = None
    json_schema: dict | None = Field(default=None, alias="schema")
    routes: list[str] | None = Field(default=None, description="Default: every route.")
    safety: bool = Field(default=False, description="A safety check: the candidate may never fail it more often.")

    @model_validator(mode="after")
    def _has_argument(self) -> OutputCheck:
        if self.kind == "json_schema" and self.json_schema is None:
            raise ValueError("a json_schema check needs 'schema'")
        if self.kind == "max_length" and not isinstance(self.value, int):
            raise ValueError("a max_length check needs an integer 'value'")
        if self.kind in ("contains", "not_contains", "regex") and not isinstance(self.value, str):
            raise ValueError(f"a {self.kind} check needs a text 'value'")
        if self.kind == "regex":
            try:
                re.compile(str(self.value))
            except re.error as exc:
                raise ValueError(f"not a valid regular expression ({exc})") from None
        return self


class JudgeConfig(Strict):
    """An LLM-as-judge scorer on an OpenAI-compatible endpoint: off unless switched on."""

    enabled: bool = False
    url: str = Field(default="http://127.0.0.1:8000/v1", description="Base URL; /chat/completions is appended.")
    model: str = "gpt-4o-mini"
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    timeout_seconds: float = Field(default=30, gt=0)


class EvaluationSection(DutySection):
    """The change review: a prompt or model change tested on the system's golden set before it serves."""

    schedule: Schedule | None = None
    responder: str = Field(pattern=r"^[\w.]+:[\w]+$", description="'module:function': the app's own entry point.")
    input_field: str = Field(default="user_message", description="Log column holding the user's input.")
    response_field: str = Field(default="response", description="Log column holding the answer served.")
    golden_size: int = Field(default=400, ge=10, description="Interactions kept per golden set, across routes.")
    guard_share: float = Field(default=0.25, ge=0, le=1, description="Of the golden set: escalated or failed cases.")
    tolerance: float = Field(default=0.03, ge=0, le=1, description="Largest quality drop accepted per route.")
    min_route_examples: int = Field(default=20, ge=1, description="Smaller routes are shown, never gated on.")
    semantic: bool = Field(default=True, description="Score similarity to the reference answer (offline model).")
    checks: list[OutputCheck] = []
    judge: JudgeConfig = JudgeConfig()
    approval_timeout_hours: float = Field(default=24, gt=0)
    resamples: int = Field(default=400, ge=50, le=10_000, description="Paired bootstrap resamples per route.")


class RunbookSpec(Strict):
    """One AI system's runbook: ``runbooks/systems/<system>.yaml``."""

    system: Annotated[str, Field(pattern=IDENTIFIER)]
    description: str = Field(min_length=1)
    kind: SystemKind
    owner: Owner
    responders: list[Annotated[str, Field(pattern=f"{SLACK_ID}|{SLACK_CHANNEL}")]] = Field(
        default_factory=list, description="The first line of response (Slack user ids or channel ids): routine "
        "alerts go to them, approvals and money-denominated SLA breaches to the owner.")
    escalation: Escalation = Field(default_factory=Escalation)
    source: Source
    drift: DriftSection | None = None
    outcomes: OutcomesSection | None = None
    cost: CostSection | None = None
    compliance: ComplianceSection | None = None
    refresh: RefreshSection | None = None
    readiness: Readiness = Readiness()
    evaluation: EvaluationSection | None = None

    @model_validator(mode="after")
    def _evaluation_fits(self) -> RunbookSpec:
        if self.evaluation and self.kind is not SystemKind.llm_app:
            raise ValueError("an evaluation section (the change review) is for llm_app systems")
        if self.evaluation and not (self.outcomes and self.source.columns.route):
            raise ValueError("an evaluation section needs an outcomes section and source.columns.route")
        return self

    @model_validator(mode="after")
    def _cost_is_measurable(self) -> RunbookSpec:
        cols = self.source.columns
        if self.cost and self.kind is SystemKind.llm_app and not (
            cols.cost or (cols.tokens_in and cols.tokens_out and cols.model_name)
        ):
            raise ValueError("an llm_app cost section needs source.columns.cost or tokens_in, tokens_out and model_name")
        if self.cost and self.cost.success_outcome and not self.source.outcomes:
            raise ValueError("cost.success_outcome needs source.outcomes")
        return self

    @model_validator(mode="after")
    def _outcomes_are_measurable(self) -> RunbookSpec:
        if self.outcomes and (problem := outcome_problems(self)):
            raise ValueError(problem)
        return self

    def deciders(self) -> set[str]:
        """Who may acknowledge or snooze this system's alerts: the owner, the backup and the responders."""
        return {self.owner.slack_user_id, self.owner.backup.slack_user_id, *self.responders}

    def section(self, duty: Duty) -> DutySection | None:
        return getattr(self, SECTION_NAMES.get(duty, duty.value))

    def duties(self) -> dict[Duty, DutySection]:
        """The duties this runbook switches on, in a stable order."""
        return {d: s for d in Duty if (s := self.section(d)) is not None and s.enabled}

    def playbook(self, duty: Duty) -> str:
        section = self.section(duty)
        return (section.playbook if section and section.playbook else None) or f"playbooks/{duty.value}.md"

    def currency(self) -> str:
        """The owner's currency: the outcomes section's (business metrics, money at stake), else the cost's."""
        return self.outcomes.currency if self.outcomes else self.cost.currency if self.cost else "USD"


def metric_names(spec: RunbookSpec) -> set[str]:
    """Every metric an SLA rule may name: the model metrics of its kind, business metrics and their daily rate."""
    assert spec.outcomes is not None
    business = [m.name for m in spec.outcomes.business_metrics]
    return {*MODEL_METRICS[spec.kind.value], *business, *(name + PER_DAY for name in business)}


def outcome_problems(spec: RunbookSpec) -> str | None:
    """The first reason the outcomes section cannot be measured as written, or None."""
    section, source = spec.outcomes, spec.source
    assert section is not None
    kind = spec.kind.value
    if source.outcomes is None:
        return "an outcomes section needs source.outcomes (where the labels or outcome fields live)"
    if source.outcomes.table and source.path:
        return "source.outcomes.table needs a SQL source; for files give source.outcomes.path"
    if kind in ("classifier", "regressor") and not source.outcomes.label:
        return f"a {kind} outcomes section needs source.outcomes.label"
    if kind == "classifier":
        if not source.columns.score:
            return "a classifier outcomes section needs source.columns.score"
        if not (section.flagged_decisions or section.flag_threshold is not None):
            return "outcomes needs 'flagged_decisions' or 'flag_threshold': what counts as a positive prediction"
        if section.flagged_decisions and not source.columns.decision:
            return "outcomes.flagged_decisions needs source.columns.decision"
    if kind == "regressor" and not source.columns.prediction:
        return "a regressor outcomes section needs source.columns.prediction"
    if kind == "llm_app" and not (section.signals.resolved or section.signals.escalated):
        return "an llm_app outcomes section needs signals.resolved or signals.escalated"
    for cost in section.business_metrics:
        if cost.cell not in CELLS[kind]:
            return f"business metric {cost.name!r}: cell {cost.cell!r} does not exist for a {kind}"
    if "total" in section.slices:
        return "'total' is reserved for the whole window; it cannot be a slice column"
    known = metric_names(spec)
    for rule in section.sla:
        if rule.metric not in known:
            return f"SLA metric {rule.metric!r} is not one of: {', '.join(sorted(known))}"
        column = (rule.slice or "").partition("=")[0]
        if column and column != "total" and column not in section.slices:
            return f"SLA rule on slice {rule.slice!r}: {column!r} is not in outcomes.slices"
    return None


class NightlyBatch(Strict):
    """Run the fleet's scheduled duties in batches: one flow run per (schedule, shard), a task per system and duty."""

    shards: int = Field(default=1, ge=1, le=1000, description="Batch flow runs per schedule; run them on as many "
                        "workers (each system is in one shard).")


class FleetSpec(Strict):
    """``runbooks/fleet.yaml``: settings for every system at once. Optional; without it each scheduled duty of each
    system is its own deployment."""

    nightly_batch: NightlyBatch | None = None
