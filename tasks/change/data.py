"""Golden sets from the log, the configurations compared, and the application's own entry point.

A golden example is a logged interaction whose outcome is known: resolved without escalation (its answer is
the reference a change must match) or escalated or failed (a case a change must not make worse). Examples
are drawn per route, so a small route is judged on enough cases, and every text is PII-masked before it is
stored: the golden set, the report and the Slack message never hold a raw value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from runbooks.spec import EvaluationSection, RunbookSpec
from tasks.compliance.pii import Detector, mask
from tasks.core.errors import ConfigError, DataError
from tasks.core.imports import load_callable
from tasks.core.windows import Window
from tasks.io.outcomes import ERROR, ESCALATED, FALLBACK, KNOWN, RESOLVED, load_outcome_frame
from tasks.io.sources import read_window

CONFIG_URI = "llm-config:"


class ChangeConfigError(ConfigError):
    """A change review that cannot run as asked (runbook, candidate or responder)."""


def evaluation_section(spec: RunbookSpec) -> EvaluationSection:
    if spec.evaluation is None or not spec.evaluation.enabled:
        raise ChangeConfigError(f"{spec.system}: the runbook has no enabled evaluation section (the change review)")
    return spec.evaluation


class LlmConfig(BaseModel):
    """What serves an LLM app: a prompt version and a model, either one overridden per route."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    model: str
    routes: dict[str, dict[str, str]] = Field(default={}, description="route -> {'prompt'|'model': value}")

    def resolve(self, route: str) -> tuple[str, str]:
        own = self.routes.get(route, {})
        return own.get("prompt", self.prompt), own.get("model", self.model)

    def label(self) -> str:
        extra = [f"{r}.{k}={v}" for r, kv in sorted(self.routes.items()) for k, v in sorted(kv.items())]
        return " ".join([f"prompt={self.prompt}", f"model={self.model}", *extra])

    def changed(self, given: list[str]) -> LlmConfig:
        """This configuration with ``KEY=VALUE`` changes: ``prompt``/``model`` for every route (dropping
        per-route overrides of that key), ``ROUTE.prompt``/``ROUTE.model`` for one."""
        prompt, model = self.prompt, self.model
        routes = {r: dict(kv) for r, kv in self.routes.items()}
        for item in (part.strip() for text in given for part in text.split(",") if part.strip()):
            key, sep, value = item.partition("=")
            route, _, what = key.rpartition(".")
            if not sep or not value or what not in ("prompt", "model"):
                raise ChangeConfigError(f"--candidate {item!r}: give prompt=VERSION, model=NAME or ROUTE.model=NAME")
            if route:
                routes.setdefault(route, {})[what] = value
                continue
            if what == "prompt":
                prompt = value
            else:
                model = value
            for kv in routes.values():
                kv.pop(what, None)
        cleaned = {r: {k: v for k, v in kv.items() if v != (prompt if k == "prompt" else model)}
                   for r, kv in routes.items()}
        return LlmConfig(prompt=prompt, model=model, routes={r: kv for r, kv in cleaned.items() if kv})

    def uri(self) -> str:
        """How the registry names this configuration (``ModelVersion.artifact_uri``)."""
        return CONFIG_URI + self.label()


def serving_config(frame: pd.DataFrame, route: str, prompt: str, model: str) -> LlmConfig:
    """The configuration the log shows serving: the commonest prompt and model, and per route where it differs."""
    if frame.empty:
        raise DataError("no logged interactions to read the serving configuration from")
    base = LlmConfig(prompt=str(frame[prompt].mode().iloc[0]), model=str(frame[model].mode().iloc[0]))
    routes: dict[str, dict[str, str]] = {}
    for name, rows in frame.groupby(route, sort=True):
        for key, column, default in (("prompt", prompt, base.prompt), ("model", model, base.model)):
            common = str(rows[column].mode().iloc[0])
            if common != default:
                routes.setdefault(str(name), {})[key] = common
    return base.model_copy(update={"routes": routes})


def read_serving(spec: RunbookSpec, window: Window) -> LlmConfig:
    cols = spec.source.columns
    if not (cols.route and cols.prompt_template and cols.model_name):
        raise ChangeConfigError(f"{spec.system}: the change review needs source.columns route, prompt_template "
                                "and model_name")
    frame = read_window(spec.source, window, [cols.route, cols.prompt_template, cols.model_name])
    return serving_config(frame, cols.route, cols.prompt_template, cols.model_name)


class Reply(BaseModel):
    """What the application's entry point returns for one input under one configuration."""

    text: str
    tokens_in: int = Field(ge=0)
    tokens_out: int = Field(ge=0)
    latency_ms: float = Field(ge=0)


Responder = Callable[..., Mapping[str, Any]]


def load_responder(reference: str) -> Responder:
    """The runbook's ``evaluation.responder``: ``respond(text, route, prompt, model)`` returning text,
    tokens_in, tokens_out and latency_ms."""
    return load_callable(reference, "evaluation.responder", ChangeConfigError)


def answer_all(responder: Responder, examples: list[dict[str, Any]], config: LlmConfig) -> list[Reply]:
    replies = []
    for example in examples:
        prompt, model = config.resolve(example["route"])
        replies.append(Reply.model_validate(dict(responder(example["input_text"], example["route"], prompt, model))))
    return replies


def mask_pii(text: str, detector: Detector) -> str:
    """``text`` with every validated personal datum replaced by its masked form."""
    hits = sorted(((offset, value, kind) for offset, kind, value in detector.find(text)), reverse=True)
    for offset, value, kind in hits:
        text = text[:offset] + mask(kind, value) + text[offset + len(value):]
    return text


def outcome_of(row: Mapping[str, Any]) -> str | None:
    """resolved (without escalation), escalated, failed (an error or a fallback answer), or None (not known)."""
    def true(column: str) -> bool:
        value = row.get(column)
        return value is not None and value == value and bool(value)  # NaN: not known

    if not true(KNOWN):
        return None
    if true(ERROR) or true(FALLBACK):
        return "failed"
    if true(ESCALATED):
        return "escalated"
    return "resolved" if true(RESOLVED) else None


def read_candidates(spec: RunbookSpec, window: Window) -> pd.DataFrame:
    """The window's interactions with a known outcome: input, answer served, route, outcome."""
    section, cols = evaluation_section(spec), spec.source.columns
    frame = load_outcome_frame(spec, window)
    wanted = [cols.timestamp, cols.route, section.input_field, section.response_field]
    texts = read_window(spec.source, window, list(dict.fromkeys([cols.request_id, *wanted])))
    frame = frame.drop(columns=[c for c in wanted if c in frame.columns]).merge(texts, on=cols.request_id, how="inner")
    frame["outcome"] = [outcome_of(r) for r in frame.to_dict("records")]
    return frame[frame["outcome"].notna()]


def choose(frame: pd.DataFrame, size: int, guard_share: float, route: str, seed: int = 7) -> pd.DataFrame:
    """Stratified per route: an equal share of ``size`` per route, ``guard_share`` of it escalated or failed."""
    routes = sorted(frame[route].dropna().astype(str).unique())
    if not routes:
        return frame.iloc[0:0]
    quota = max(1, size // len(routes))
    picked = []
    for name in routes:
        rows = frame[frame[route].astype(str) == name]
        guards = rows[rows["outcome"] != "resolved"]
        guards = guards.sample(min(len(guards), round(quota * guard_share)), random_state=seed)
        refs = rows[rows["outcome"] == "resolved"]
        picked += [guards, refs.sample(min(len(refs), quota - len(guards)), random_state=seed)]
    return pd.concat(picked)


def golden_records(spec: RunbookSpec, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The chosen rows as golden examples, every text PII-masked (the runbook's national ids included)."""
    section, cols = evaluation_section(spec), spec.source.columns
    detector = Detector(spec.compliance.national_ids if spec.compliance else ())
    assert cols.route
    return [{"request_id": str(r[cols.request_id]), "ts": pd.Timestamp(r[cols.timestamp]).to_pydatetime(),
             "route": str(r[cols.route]), "outcome": r["outcome"],
             "input_text": mask_pii(str(r[section.input_field]), detector),
             "reference": mask_pii(str(r[section.response_field] or ""), detector)}
            for r in frame.sort_values(cols.timestamp, kind="stable").to_dict("records")]


def build_golden(spec: RunbookSpec, window: Window, size: int | None, *, actor: str, reason: str) -> int:
    """A new golden-set version drawn from ``window`` (replacing the current one); returns its number."""
    from tasks.store.database import open_store
    from tasks.store.golden import add_interactions

    section = evaluation_section(spec)
    assert spec.source.columns.route
    frame = read_candidates(spec, window)
    chosen = choose(frame, size or section.golden_size, section.guard_share, spec.source.columns.route)
    if chosen.empty:
        raise DataError(f"{spec.system}: no interactions with a known outcome in {window.label()} to build a golden "
                        "set from")
    with open_store().session() as session:
        return add_interactions(session, spec.system, golden_records(spec, chosen), actor=actor, replace=True,
                                reason=f"{reason} from {window.label()}")
