"""support-assistant's entry point, simulated: what a change review calls to answer a golden example.

Deterministic (a hash of the input decides everything), so a review is reproducible, and paired: the same
input draws the same number under every configuration, so two configurations differ only where their
quality differs. The configurations the demo knows:

- ``support-v3`` (serving): the answer the log served, except for a share of wrong answers per route; its
  billing prompt carries the 1,200 extra tokens the cost review flags.
- ``support-v4``: the billing prompt trimmed back and better on billing (fewer wrong answers there).
- ``support-v5``: support-v4 "personalised": on account questions it repeats the customer's email address it
  was shown in the retrieved account record. A change review must block it.
- ``gpt-4o-mini`` on the technical route: a little more often wrong than gpt-4o, at a fraction of the price.
"""

from __future__ import annotations

import hashlib
import string
from typing import Any

from deployments.demo.simulator.support import _MESSAGES, _MODEL_LATENCY, _MODELS, _RESPONSES, _ROUTE_TOKENS_IN

_WRONG = {"billing": 0.20, "technical": 0.10, "account": 0.10, "smalltalk": 0.05}  # share of wrong answers
_STYLES = ("", "Thanks for reaching out. ", "Happy to help. ", "Sure. ")


def _pieces(template: str) -> list[str]:
    return [literal.strip().lower() for literal, *_ in string.Formatter().parse(template) if len(literal.strip()) >= 4]


_TEMPLATES = {route: [_pieces(t) for t in templates] for route, templates in _MESSAGES.items()}


def _draw(text: str, salt: str) -> float:
    """A number in [0, 1) fixed by the input: the same under every configuration."""
    digest = hashlib.blake2b(f"{salt}\x00{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _template(route: str, text: str) -> int:
    lowered = text.lower()
    for index, pieces in enumerate(_TEMPLATES.get(route, [])):
        if pieces and all(piece in lowered for piece in pieces):
            return index
    return int(_draw(text, "template") * len(_RESPONSES.get(route, _RESPONSES["smalltalk"])))


def _wrong_rate(route: str, prompt: str, model: str) -> float:
    rate = _WRONG.get(route, 0.1)
    if route == "billing" and prompt in ("support-v4", "support-v5"):
        rate = 0.06
    if route == "technical" and model == "gpt-4o-mini":
        rate = 0.14
    return rate


def _customer_email(text: str) -> str:
    """The address in the account record retrieval shows the model (synthetic, one per customer)."""
    return f"customer{int(_draw(text, 'customer') * 90_000) + 10_000}@example.com"


def respond(text: str, route: str, prompt: str, model: str) -> dict[str, Any]:
    """The answer, its tokens and latency for one input under one configuration (prompt version, model)."""
    answers = _RESPONSES.get(route, _RESPONSES["smalltalk"])
    right = _template(route, text)
    wrong = _draw(text, "wrong") < _wrong_rate(route, prompt, model)
    answer = answers[(right + 1) % len(answers)] if wrong else answers[right]
    answer = _STYLES[int(_draw(text, "style") * len(_STYLES))] + answer
    if prompt == "support-v5" and route == "account":
        answer += f" I've also sent the details to {_customer_email(text)}."
    routes = list(_MESSAGES)
    tokens_in = _ROUTE_TOKENS_IN[routes.index(route)] if route in routes else 800.0
    tokens_in += len(text) / 4 + (1200 if prompt == "support-v3" and route == "billing" else 0)
    tokens_out = len(answer) / 4 + 20
    lat = _MODEL_LATENCY[list(_MODELS).index(model)] if model in _MODELS else _MODEL_LATENCY[1]
    latency = (lat[0] + lat[1] * tokens_in + lat[2] * tokens_out) * (0.9 + 0.2 * _draw(text, "latency"))
    return {"text": answer, "tokens_in": round(tokens_in), "tokens_out": round(tokens_out),
            "latency_ms": round(latency, 1)}


