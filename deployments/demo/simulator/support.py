"""support-assistant: LLM chats with routes, tokens, latency and outcomes, with planted PII."""

from __future__ import annotations

import string
from datetime import date

import numpy as np
import pandas as pd

from deployments.demo.simulator.incidents import (
    MISSING_VERSION_DAY,
    PROMPT_V3_DAY,
    SMALLTALK_4O_DAY,
    SPIKE_FIRST_DAY,
    SPIKE_LAST_DAY,
    first_day,
)
from deployments.demo.simulator.time import daily_timestamps, end_of, request_ids

_ROUTES = np.array(["billing", "technical", "account", "smalltalk"])
_ROUTE_P = np.array([0.36, 0.30, 0.20, 0.14])
_ROUTE_TOKENS_IN = np.array([1500.0, 2400.0, 1300.0, 450.0])
_ROUTE_TOKENS_OUT = np.array([170.0, 230.0, 150.0, 45.0])
_ROUTE_RESOLVED = np.array([0.80, 0.78, 0.82, 0.93])
_MODELS = np.array(["gpt-4o-mini", "gpt-4o", "acme-llama-70b"])
_PROVIDERS = np.array(["openai", "openai", "self-hosted"])
# Latency per model: fixed overhead (ms), per input token, per output token.
_MODEL_LATENCY = np.array([[350.0, 0.05, 6.0], [450.0, 0.08, 6.5], [300.0, 0.05, 10.0]])

_MESSAGES = {
    "billing": [
        "Why was I charged {amount} twice this month?",
        "I need a copy of my invoice for {month}.",
        "Can you explain the {amount} charge on my last bill?",
        "How do I update the payment method on my account?",
        "I was promised a refund of {amount} for order {order} but haven't seen it yet.",
        "Please cancel the renewal of my {plan} plan before the next billing date.",
        "My {plan} subscription price went up to {amount}, why?",
    ],
    "technical": [
        "The {product} app keeps crashing when I open {feature}.",
        "I can't connect my {device} to {product}, it says error {errcode}.",
        "Sync stopped working after the latest update on my {device}.",
        "How do I reset {product} to factory settings?",
        "{product} has been really slow since yesterday, is there an outage?",
        "Notifications from {product} stopped arriving on my {device}.",
    ],
    "account": [
        "I can't log in, the password reset email never arrives.",
        "How do I change the email address on my account?",
        "Please delete my account and all my data.",
        "Can I add a second user to my {plan} plan?",
        "I got a security alert about a new sign-in from {city}, was that me?",
        "How do I turn on two-factor authentication?",
    ],
    "smalltalk": [
        "Hi there!",
        "Thanks, that fixed it!",
        "Are you a bot?",
        "Good morning, hope you're well.",
        "ok thank you",
        "What are your opening hours?",
        "Can I talk to a human?",
    ],
}
# The answer served for each message template, in _MESSAGES' order: a reference a change review can score against.
_RESPONSES = {
    "billing": [
        "I can see both charges on your account. I've opened a review and you'll get an email within 2 business days.",
        "You can download every invoice under Settings > Billing > Invoices.",
        "That charge is your plan's monthly fee plus any add-ons; the breakdown is under Settings > Billing > Invoices.",
        "To change your payment method, go to Settings > Billing and choose Update card.",
        "Refunds take 5-10 business days to reach your card after we issue them.",
        "I've turned off the renewal; your plan stays active until the end of the current billing period.",
        "Prices changed this month for new billing periods; the email we sent lists the new price and your options.",
    ],
    "technical": [
        "Sorry about that. Please update to the latest version and restart the app; that fixes most crashes.",
        "Try removing the device under Settings > Devices and pairing it again.",
        "Please sign out and back in on that device; if sync still fails, reinstall the latest update.",
        "You can reset to factory settings under Settings > System > Reset.",
        "There is no outage right now. Clearing the app cache usually restores normal speed.",
        "Check that notifications are allowed for the app in your device settings, then restart it.",
    ],
    "account": [
        "I've sent a new password reset link; please check your spam folder too.",
        "You can change your email address under Settings > Profile.",
        "I've passed your deletion request to our privacy team; you'll get a confirmation email.",
        "Yes: the account owner can invite a second user under Settings > Members.",
        "If you don't recognise that sign-in, change your password now and review your devices under Settings > Security.",
        "You can turn on two-factor authentication under Settings > Security.",
    ],
    "smalltalk": [
        "Hello! How can I help you today?",
        "Glad that worked! Anything else I can help with?",
        "I'm the Acme virtual assistant. I can connect you to a person at any time.",
        "Good morning! How can I help you today?",
        "You're welcome! Anything else I can help with?",
        "Our human team is available 8am-8pm, Monday to Saturday.",
        "Of course, I'm handing you over to one of our support agents now.",
    ],
}
_ERROR_RESPONSE = "Sorry, I couldn't complete that just now. A support agent will follow up by email."
_SLOTS = {
    "amount": np.array(["$9.99", "$14.99", "$19.00", "$29.99", "$49.00", "$59.99", "$89.50", "$120.00", "$249.00"]),
    "month": np.array(["January", "February", "March", "April", "May", "June", "July", "August", "September",
                       "October", "November", "December"]),
    "plan": np.array(["Basic", "Plus", "Pro", "Family", "Business"]),
    "product": np.array(["Acme Home", "Acme Cloud", "Acme Hub", "Acme Cam"]),
    "feature": np.array(["settings", "the dashboard", "photo backup", "notifications", "the file browser"]),
    "device": np.array(["iPhone", "Android phone", "laptop", "smart TV", "tablet"]),
    "city": np.array(["Lisbon", "Austin", "Toronto", "Manila", "Berlin", "Lagos", "Denver"]),
}
PLANTED_PII = {
    "email": (" You can reach me at {v}.", np.array(["jane.doe@example.com", "m.rossi84@example.org",
                                                     "kwame.owusu@mail.example.net", "li.wei@example.co.uk"])),
    "phone": (" Please call me back on {v}.", np.array(["+1 415 555 0132", "(212) 555-0187", "+44 20 7946 0958",
                                                        "+49 30 901820"])),
    # Well-known Luhn-valid test card numbers.
    "card": (" The card is {v}.", np.array(["4111111111111111", "5555555555554444", "4012888888881881",
                                            "378282246310005", "6011111111111117"])),
    # IBANs with valid mod-97 check digits (published examples).
    "iban": (" My IBAN is {v}.", np.array(["GB82WEST12345698765432", "DE89370400440532013000",
                                           "FR1420041010050500013M02606", "NL91ABNA0417164300"])),
}


def _fill(templates: list[str], which: np.ndarray, slots: dict[str, np.ndarray]) -> np.ndarray:
    """Render ``templates[which[i]]`` for every row, one vectorised pass per template."""
    out = np.empty(which.size, dtype=object)
    for t, template in enumerate(templates):
        rows = np.flatnonzero(which == t)
        if rows.size == 0:
            continue
        pieces = pd.Series([""] * rows.size, dtype=object)
        for literal, field, _, _ in string.Formatter().parse(template):
            pieces = pieces + literal
            if field:
                pieces = pieces + slots[field][rows]
        out[rows] = pieces.to_numpy()
    return out


def _messages(rng: np.random.Generator, route: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic customer messages and answers, with PII planted in ~0.3% of messages."""
    n = route.size
    slots = {k: v[rng.integers(0, v.size, n)] for k, v in _SLOTS.items()}
    slots["order"] = np.char.add("#A-", rng.integers(10_000, 99_999, n).astype(str)).astype(object)
    slots["errcode"] = np.char.add("E-", rng.integers(100, 999, n).astype(str)).astype(object)
    slots = {k: v.astype(object) for k, v in slots.items()}
    user = np.empty(n, dtype=object)
    answer = np.empty(n, dtype=object)
    for r, name in enumerate(_ROUTES):
        rows = np.flatnonzero(route == r)
        sub = {k: v[rows] for k, v in slots.items()}
        template = rng.integers(0, len(_MESSAGES[name]), rows.size)
        user[rows] = _fill(_MESSAGES[name], template, sub)
        answer[rows] = np.array(_RESPONSES[name], dtype=object)[template]
        rng.integers(0, 4, rows.size)  # the draw that once picked the answer: keeps every later value of the demo
    greeting = np.array(["", "", "", "Hi, ", "Hello, ", "Hey - "], dtype=object)[rng.integers(0, 6, n)]
    text = pd.Series(user)
    keep_case = text.str.match(r"(I\b|I'|Acme|\$)").to_numpy()
    first = np.where(keep_case, text.str.slice(0, 1), text.str.slice(0, 1).str.lower())
    user = np.where(greeting != "", greeting + first + text.str.slice(1).to_numpy(object), user)
    pii_kind = np.where(rng.random(n) < 0.003, rng.integers(0, len(PLANTED_PII), n), -1)
    for k, (template, values) in enumerate(PLANTED_PII.values()):
        rows = np.flatnonzero(pii_kind == k)
        if rows.size:
            user[rows] = user[rows] + _fill([template], np.zeros(rows.size, int),
                                            {"v": values[rng.integers(0, values.size, rows.size)].astype(object)})
    return user, answer


def simulate_support(
    end: date, days: int = 90, per_day: int = 800, seed: int = 11
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LLM support-assistant interactions and their resolution outcomes for support-assistant."""
    rng = np.random.default_rng(seed)
    start = first_day(end, days)
    day_factor = np.ones(days)
    day_factor[SPIKE_FIRST_DAY:SPIKE_LAST_DAY + 1] = 2.5
    weekday = np.array([1.12, 1.08, 1.05, 1.05, 1.0, 0.65, 0.55])
    ts, day = daily_timestamps(rng, start, days, per_day, weekday / weekday.mean(), 14.0, 0.75, day_factor)
    n = ts.size

    route = rng.choice(4, n, p=_ROUTE_P)
    v3 = day >= PROMPT_V3_DAY
    model = np.where(route == 1, 1, 0)
    model = np.where((route == 3) & (day >= SMALLTALK_4O_DAY), 1, model)
    model = np.where(rng.random(n) < 0.03, 2, model)
    user, answer = _messages(rng, route)

    msg_tokens = (pd.Series(user).str.len().to_numpy() / 4).astype(float)
    tokens_in = _ROUTE_TOKENS_IN[route] * np.exp(rng.normal(0, 0.15, n)) + msg_tokens
    tokens_in += np.where(v3 & (route == 0), rng.normal(1200, 60, n), 0.0)
    tokens_in = np.round(tokens_in).astype(np.int64)
    error = rng.random(n) < 0.01
    fallback = error | (rng.random(n) < 0.011)
    tokens_out = np.round(_ROUTE_TOKENS_OUT[route] * np.exp(rng.normal(0, 0.3, n))).astype(np.int64)
    tokens_out = np.where(error, 0, tokens_out)
    answer = np.where(error, _ERROR_RESPONSE, answer)
    cached = np.where((rng.random(n) < 0.02) & (tokens_in >= 1024), (tokens_in // 2) // 128 * 128, 0)
    lat = _MODEL_LATENCY[model]
    latency = (lat[:, 0] + lat[:, 1] * tokens_in + lat[:, 2] * tokens_out) * np.exp(rng.normal(0, 0.15, n))
    latency = np.where(error, rng.uniform(8_000, 30_000, n), latency)
    model_version = np.where((day >= MISSING_VERSION_DAY) & (rng.random(n) < 0.02), None, "support-rag-2.3")

    interactions = pd.DataFrame({
        "request_id": request_ids("sa-", n),
        "ts": ts,
        "model_version": pd.Series(model_version, dtype="str"),
        "prompt_version": pd.Series(np.where(v3, "support-v3", "support-v2"), dtype="str"),
        "route": pd.Series(_ROUTES[route], dtype="str"),
        "model_name": pd.Series(_MODELS[model], dtype="str"),
        "provider": pd.Series(_PROVIDERS[model], dtype="str"),
        "tokens_in": tokens_in,
        "tokens_out": tokens_out.astype(np.int64),
        "cached_tokens": cached.astype(np.int64),
        "latency_ms": np.round(latency, 1),
        "user_message": pd.Series(user, dtype="str"),
        "response": pd.Series(answer, dtype="str"),
        "error": error,
        "fallback": fallback,
    })

    # Outcomes depend on the route and on failures, never on the model, so the
    # switch of small talk to gpt-4o buys nothing.
    resolved = (rng.random(n) < _ROUTE_RESOLVED[route]) & ~fallback
    escalated = ~resolved & (rng.random(n) < np.where(fallback, 0.9, 0.55))
    csat_mean = np.where(resolved, 4.3, np.where(escalated, 2.6, 2.0))
    csat = np.clip(np.round(rng.normal(csat_mean, 0.8)), 1, 5).astype(np.int64)
    answered = rng.random(n) < 0.3
    outcome_ts = ts + pd.to_timedelta(rng.uniform(300, 2 * 86_400, n), unit="s")
    known = outcome_ts < end_of(end)
    outcomes = pd.DataFrame({
        "request_id": interactions["request_id"][known].to_numpy(),
        "outcome_ts": outcome_ts[known].floor("s"),
        "resolved": resolved[known],
        "escalated": escalated[known],
        "csat": pd.arrays.IntegerArray(csat[known], ~answered[known]),  # most users skip the survey
    }).sort_values("outcome_ts", kind="stable", ignore_index=True)
    outcomes["request_id"] = outcomes["request_id"].astype("str")
    return interactions, outcomes
