"""Seeded simulator of ~90 days of production logs for the two demo AI systems.

The demo needs data in which every Steward duty has something real to find, so
each system carries a handful of dated incidents (see :func:`incidents`) laid
over otherwise steady, realistic traffic: more requests by day than by night,
fewer at weekends, late-arriving labels. Everything is vectorised numpy/pandas
and driven by one seeded generator per system, so the same arguments always
give the same frames.

Timestamps are timezone-aware UTC in the frames and naive UTC in SQL, so that
SQLite and PostgreSQL read back the same values.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from sqlalchemy import create_engine, text

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


def _start(end: date, days: int) -> date:
    if days < 1:
        raise ValueError("days must be >= 1")
    return end - timedelta(days=days - 1)


def incidents(end: date, days: int = 90) -> list[Incident]:
    """The planted incidents with concrete dates; those starting after ``end`` are left out."""
    s = _start(end, days)

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


# --------------------------------------------------------------------------- time


def _timestamps(
    rng: np.random.Generator,
    start: date,
    days: int,
    per_day: int,
    weekday_factor: np.ndarray,
    peak_hour: float,
    amplitude: float,
    day_factor: np.ndarray,
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Sorted UTC timestamps with weekly and intraday seasonality, plus each row's day index.

    ``day_factor`` carries the incidents that change volume on given days.
    """
    day_dates = pd.date_range(start, periods=days, freq="D", tz="UTC")
    weekly = weekday_factor[day_dates.dayofweek.to_numpy()]
    expected = per_day * weekly * day_factor * np.exp(rng.normal(0.0, 0.03, days))
    counts = rng.poisson(expected)
    day_idx = np.repeat(np.arange(days), counts)
    hours = np.arange(24)
    weights = 1.0 + amplitude * np.cos(2 * np.pi * (hours - peak_hour) / 24)
    hour = rng.choice(24, size=day_idx.size, p=weights / weights.sum())
    offset_ns = (day_idx * 86_400 + hour * 3_600 + rng.uniform(0, 3_600, day_idx.size)) * 1e9
    order = np.argsort(offset_ns, kind="stable")
    ts = pd.DatetimeIndex(day_dates[0] + pd.to_timedelta(offset_ns[order].astype(np.int64), unit="ns"))
    return ts.as_unit("ns"), day_idx[order]


def _request_ids(prefix: str, n: int) -> pd.Series:
    return prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(6)


def _end_of(end: date) -> pd.Timestamp:
    """First instant after the simulation: labels and reviews after it are not yet known."""
    return pd.Timestamp(end + timedelta(days=1), tz="UTC")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# ------------------------------------------------------------------ fraud-scoring

_MERCHANTS = np.array(["grocery", "restaurants", "fuel", "retail", "electronics", "travel", "entertainment",
                       "health", "utilities", "digital_goods", "gift_cards", "jewelry", "crypto"])
_MERCHANT_P_GENUINE = np.array([.21, .15, .09, .15, .06, .05, .07, .06, .06, .06, .025, .015])
_MERCHANT_P_RISKY = np.array([.05, .04, .03, .10, .22, .10, .04, .02, .01, .17, .16, .06])
_MERCHANT_LOG_AMOUNT = np.array([3.6, 3.4, 3.7, 4.0, 5.4, 5.8, 3.7, 4.0, 4.6, 3.2, 4.2, 6.0, 5.5])
_MERCHANT_RISK = np.array([-.5, -.3, -.4, 0., .6, .4, -.1, -.3, -.6, .5, .9, .7, 1.0])
_COUNTRIES = np.array(["US", "CA", "GB", "DE", "FR", "MX", "BR", "IN", "NG", "PH"])
_COUNTRY_P = np.array([.64, .07, .07, .05, .04, .04, .03, .03, .015, .015])
_CHANNELS = np.array(["web", "app", "pos"])
_CHANNEL_P_GENUINE = np.array([.33, .40, .27])
_CHANNEL_P_RISKY = np.array([.45, .45, .10])
_FRAUD_INTERCEPT = -3.8
_RISKY_SHARE = (0.014, 0.022)  # share of attack-pattern traffic by day / by US night
# Fraud that no feature reveals (e.g. stolen credentials used exactly like the
# owner would); it keeps the model's AUC realistic rather than near 1.
_STEALTH_FRAUD = 0.0010
_ANALYSTS = np.array([f"analyst-{i:02d}" for i in range(1, 13)])


def _fraud_features(rng: np.random.Generator, hour: np.ndarray, risky: np.ndarray, post: np.ndarray) -> dict:
    """True feature values (categoricals as codes): genuine traffic plus a small 'attack pattern' segment.

    The segment is what makes fraud learnable; ``post`` rows can be 'crypto',
    a merchant category that did not exist before the incident.
    """
    n = hour.size

    def pick(p_genuine: np.ndarray, p_risky: np.ndarray) -> np.ndarray:
        k = p_genuine.size
        return np.where(risky, rng.choice(k, n, p=p_risky), rng.choice(k, n, p=p_genuine))

    merchant = pick(_MERCHANT_P_GENUINE, _MERCHANT_P_RISKY)
    crypto = post & (rng.random(n) < 0.03)
    merchant = np.where(crypto, 12, merchant)
    channel = pick(_CHANNEL_P_GENUINE, _CHANNEL_P_RISKY)
    home = rng.choice(10, n, p=_COUNTRY_P)
    travelling = rng.random(n) < np.where(risky, 0.45, 0.05)
    elsewhere = (home + rng.integers(1, 10, n)) % 10
    country = np.where(travelling, elsewhere, home)
    avg_amount_30d = np.exp(rng.normal(3.8, 0.6, n))
    amount = np.exp(_MERCHANT_LOG_AMOUNT[merchant] + np.where(risky, 0.9, 0.0) + rng.normal(0, 0.9, n))
    txn_count_24h = rng.poisson(np.where(risky, 6.0, 2.2))
    velocity_1h = rng.binomial(txn_count_24h, np.where(risky, 0.5, 0.12))
    return dict(
        amount=np.round(np.clip(amount, 0.5, 25_000), 2),
        merchant=merchant,
        country=country,
        channel=channel,
        card_age_days=np.round(rng.gamma(np.where(risky, 1.0, 2.0), np.where(risky, 120, 420), n)).astype(np.int64),
        account_age_days=np.round(rng.gamma(np.where(risky, 1.0, 2.5), np.where(risky, 250, 600), n)).astype(np.int64),
        txn_count_24h=txn_count_24h.astype(np.int64),
        velocity_1h=velocity_1h.astype(np.int64),
        avg_amount_30d=np.round(avg_amount_30d, 2),
        distance_from_home_km=np.round(np.exp(np.where(risky, rng.normal(5.0, 1.6, n), rng.normal(2.0, 1.3, n)))
                                       + np.where(travelling, rng.pareto(1.5, n) * 500, 0.0), 1).clip(0, 20_000),
        hour_of_day=hour.astype(np.int64),
        is_foreign=country != home,
        # For 'pos' this is the terminal's attestation (chip read vs. magstripe fallback).
        device_trust_score=np.where(risky, rng.beta(1.5, 6, n), np.where(channel == 2, rng.beta(12, 2, n),
                                                                        rng.beta(6, 2, n))),
        prior_chargebacks=rng.poisson(np.where(risky, 0.4, 0.03)).astype(np.int64),
        email_domain_age_days=np.round(np.where(risky & (rng.random(n) < 0.5), np.exp(rng.normal(3.5, 1.0, n)),
                                                np.exp(rng.normal(8.0, 0.6, n)))).astype(np.int64),
        ip_risk_score=np.where(risky, rng.beta(5, 2.5, n), rng.beta(1.5, 12, n)),
        billing_shipping_match=rng.random(n) < np.where(risky, 0.55, 0.94),
        cvv_attempts=(1 + np.where(risky, rng.poisson(0.5, n), rng.binomial(1, 0.03, n))).astype(np.int64),
    )


def _fraud_logit(f: dict, merchant_risk: np.ndarray) -> np.ndarray:
    """The risk function: true fraud log-odds on true features, the model's view on observed ones."""
    night = (f["hour_of_day"] >= 4) & (f["hour_of_day"] <= 10)
    return (
        _FRAUD_INTERCEPT
        + 0.55 * np.clip(np.log(f["amount"] / f["avg_amount_30d"]), -2, 3)
        + merchant_risk[f["merchant"]]
        + 0.8 * f["is_foreign"]
        - 0.35 * np.log1p(f["card_age_days"] / 30)
        - 0.30 * np.log1p(f["account_age_days"] / 90)
        + 0.15 * np.minimum(f["txn_count_24h"], 15)
        + 0.35 * np.minimum(f["velocity_1h"], 8)
        + 0.25 * np.log1p(f["distance_from_home_km"])
        + 0.4 * night
        - 4.0 * (f["device_trust_score"] - 0.6)
        + 0.7 * np.minimum(f["prior_chargebacks"], 4)
        - 0.30 * np.log1p(f["email_domain_age_days"] / 30)
        + 5.0 * (f["ip_risk_score"] - 0.15)
        - 0.9 * f["billing_shipping_match"]
        + 0.8 * (f["cvv_attempts"] - 1)
    )


def simulate_fraud(
    end: date, days: int = 90, per_day: int = 3000, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Card-authorisation decisions and their late fraud labels for fraud-scoring.

    Fraud is drawn from a latent true-risk function of the features; the
    model's score is the same function on the features it observes plus
    noise, so it is informative (ROC AUC ~0.96, recall ~0.83 at 0.7) until
    the incidents change what it observes.
    """
    rng = np.random.default_rng(seed)
    start = _start(end, days)
    day_factor = np.ones(days)
    if VOLUME_DIP_DAY < days:
        day_factor[VOLUME_DIP_DAY] = 0.4
    weekday = np.array([0.98, 0.98, 1.0, 1.02, 1.12, 0.98, 0.86])
    ts, day = _timestamps(rng, start, days, per_day, weekday / weekday.mean(), 19.0, 0.6, day_factor)
    n = ts.size
    hour = ts.hour.to_numpy()
    post = day >= DEVICE_SHIFT_DAY
    risky = rng.random(n) < np.where((hour >= 4) & (hour <= 10), _RISKY_SHARE[1], _RISKY_SHARE[0])
    f = _fraud_features(rng, hour, risky, post)
    stealth = np.where(f["channel"] == 2, 0.0, _STEALTH_FRAUD)  # chip-and-PIN leaves little room for it
    p_fraud = 1 - (1 - _sigmoid(_fraud_logit(f, _MERCHANT_RISK))) * (1 - stealth)
    is_fraud = rng.random(n) < p_fraud

    # What the model sees. The new SDK reports lower trust for genuine app
    # devices; adapted fraud rings on the app spoof trust and use clean proxies.
    app_after = post & (f["channel"] == 1)
    adapted = app_after & risky
    seen = dict(f)
    seen["device_trust_score"] = np.where(adapted, rng.beta(8, 2, n),
                                          np.where(app_after, rng.beta(4.5, 5.5, n), f["device_trust_score"]))
    seen["ip_risk_score"] = np.where(adapted, rng.beta(5.5, 4.5, n), f["ip_risk_score"])
    model_merchant_risk = _MERCHANT_RISK.copy()
    model_merchant_risk[12] = 0.0  # fraud-gbm-1.4 never saw 'crypto'
    # A softened, shifted logit: close to calibrated around the 0.7 cut-off,
    # less extreme than the true log-odds far from it.
    score = _sigmoid(0.7 * (_fraud_logit(seen, model_merchant_risk) + rng.normal(0, 0.8, n)) + 0.3)
    score = np.round(score, 4)
    decision = np.where(score >= 0.7, "decline", np.where(score >= 0.4, "review", "approve"))

    needs_review = (decision == "review") | ((decision == "decline") & (seen["amount"] > 5000))
    review_ts = ts + pd.to_timedelta(np.exp(rng.normal(np.log(25), 0.8, n)).clip(1, 2880), unit="min")
    reviewed = needs_review & (rng.random(n) < 0.9) & (review_ts < _end_of(end))
    decisions = pd.DataFrame({
        "request_id": _request_ids("fr-", n),
        "ts": ts,
        "model_version": "fraud-gbm-1.4",
        "policy_version": "risk-policy-7",
        "amount": seen["amount"],
        "merchant_category": _MERCHANTS[seen["merchant"]],
        "country": _COUNTRIES[seen["country"]],
        "channel": _CHANNELS[seen["channel"]],
        "card_age_days": seen["card_age_days"],
        "account_age_days": seen["account_age_days"],
        "txn_count_24h": seen["txn_count_24h"],
        "velocity_1h": seen["velocity_1h"],
        "avg_amount_30d": seen["avg_amount_30d"],
        "distance_from_home_km": seen["distance_from_home_km"],
        "hour_of_day": seen["hour_of_day"],
        "is_foreign": seen["is_foreign"],
        "device_trust_score": np.round(seen["device_trust_score"], 4),
        "prior_chargebacks": seen["prior_chargebacks"],
        "email_domain_age_days": seen["email_domain_age_days"],
        "ip_risk_score": np.round(seen["ip_risk_score"], 4),
        "billing_shipping_match": seen["billing_shipping_match"],
        "cvv_attempts": seen["cvv_attempts"],
        "score": score,
        "decision": decision,
        "latency_ms": np.round(rng.gamma(6.0, 35.0 / 6.0, n) + 2.0, 1),
        "reviewer": pd.Series(np.where(reviewed, rng.choice(_ANALYSTS, n), None), dtype="str"),
        "review_ts": pd.Series(review_ts).where(reviewed),
        # The analyst's call stands in for the model's; it differs from 'decision' on an override.
        "final_decision": np.where(reviewed, np.where(is_fraud, "decline", "approve"), decision),
    })
    for col in ("merchant_category", "country", "channel", "decision", "final_decision", "model_version",
                "policy_version"):
        decisions[col] = decisions[col].astype("str")

    # Labels: most fraud is reported by the cardholder within days, some only
    # surfaces as a chargeback 20-90 days later; genuine rows are confirmed
    # after NO_FRAUD_LABEL_DAYS. Labels not yet arrived at the end are absent.
    report_days = 1 + rng.gamma(2.0, 4.0, n)
    chargeback_days = rng.uniform(20, 90, n)
    delay_days = np.where(is_fraud, np.where(rng.random(n) < CHARGEBACK_SHARE, chargeback_days, report_days),
                          NO_FRAUD_LABEL_DAYS)
    outcome_ts = ts + pd.to_timedelta(delay_days * 86_400, unit="s")
    known = outcome_ts < _end_of(end)
    outcomes = pd.DataFrame({
        "request_id": decisions["request_id"][known].to_numpy(),
        "outcome_ts": outcome_ts[known].floor("s"),
        "is_fraud": is_fraud[known].astype(np.int64),
        "chargeback_amount": np.where(is_fraud, seen["amount"], 0.0)[known],
    }).sort_values("outcome_ts", kind="stable", ignore_index=True)
    outcomes["request_id"] = outcomes["request_id"].astype("str")
    return decisions, outcomes


# -------------------------------------------------------------- support-assistant

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
_RESPONSES = {
    "billing": [
        "I can see the charges on your account. I've opened a review and you'll get an email within 2 business days.",
        "You can download every invoice under Settings > Billing > Invoices.",
        "Refunds take 5-10 business days to reach your card after we issue them.",
        "To change your payment method, go to Settings > Billing and choose Update card.",
    ],
    "technical": [
        "Sorry about that. Please update to the latest version and restart the app; that fixes most crashes.",
        "Try removing the device under Settings > Devices and pairing it again.",
        "There is no outage right now. Clearing the app cache usually restores normal speed.",
        "You can reset to factory settings under Settings > System > Reset.",
    ],
    "account": [
        "I've sent a new password reset link; please check your spam folder too.",
        "You can change your email address under Settings > Profile.",
        "I've passed your deletion request to our privacy team; you'll get a confirmation email.",
        "You can turn on two-factor authentication under Settings > Security.",
    ],
    "smalltalk": [
        "Hello! How can I help you today?",
        "Glad that worked! Anything else I can help with?",
        "I'm the Acme virtual assistant. I can connect you to a person at any time.",
        "Our human team is available 8am-8pm, Monday to Saturday.",
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
_PII = {
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
        user[rows] = _fill(_MESSAGES[name], rng.integers(0, len(_MESSAGES[name]), rows.size), sub)
        answer[rows] = np.array(_RESPONSES[name], dtype=object)[rng.integers(0, len(_RESPONSES[name]), rows.size)]
    greeting = np.array(["", "", "", "Hi, ", "Hello, ", "Hey - "], dtype=object)[rng.integers(0, 6, n)]
    text = pd.Series(user)
    keep_case = text.str.match(r"(I\b|I'|Acme|\$)").to_numpy()
    first = np.where(keep_case, text.str.slice(0, 1), text.str.slice(0, 1).str.lower())
    user = np.where(greeting != "", greeting + first + text.str.slice(1).to_numpy(object), user)
    pii_kind = np.where(rng.random(n) < 0.003, rng.integers(0, len(_PII), n), -1)
    for k, (template, values) in enumerate(_PII.values()):
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
    start = _start(end, days)
    day_factor = np.ones(days)
    day_factor[SPIKE_FIRST_DAY:SPIKE_LAST_DAY + 1] = 2.5
    weekday = np.array([1.12, 1.08, 1.05, 1.05, 1.0, 0.65, 0.55])
    ts, day = _timestamps(rng, start, days, per_day, weekday / weekday.mean(), 14.0, 0.75, day_factor)
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
        "request_id": _request_ids("sa-", n),
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
    known = outcome_ts < _end_of(end)
    outcomes = pd.DataFrame({
        "request_id": interactions["request_id"][known].to_numpy(),
        "outcome_ts": outcome_ts[known].floor("s"),
        "resolved": resolved[known],
        "escalated": escalated[known],
        "csat": pd.arrays.IntegerArray(csat[known], ~answered[known]),  # most users skip the survey
    }).sort_values("outcome_ts", kind="stable", ignore_index=True)
    outcomes["request_id"] = outcomes["request_id"].astype("str")
    return interactions, outcomes


# ------------------------------------------------------------------------ writing


def _naive_utc(df: pd.DataFrame) -> pd.DataFrame:
    """Drop the timezone (values stay UTC) so SQLite and PostgreSQL store the same instants."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def write_demo_database(
    url: str,
    end: date,
    days: int = 90,
    scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Replace the four demo tables at ``url`` with freshly simulated data; return row counts.

    Everything is written in one transaction, and indexes are built after the
    bulk load because that is much faster than maintaining them row by row.
    """
    say = progress or (lambda _msg: None)
    say(f"Simulating {FRAUD_SYSTEM}")
    fraud = simulate_fraud(end, days, per_day=max(1, round(3000 * scale)))
    say(f"Simulating {SUPPORT_SYSTEM}")
    support = simulate_support(end, days, per_day=max(1, round(800 * scale)))
    frames = dict(zip(TABLES, (*fraud, *support)))
    ts_column = {"fraud_decisions": "ts", "fraud_outcomes": "outcome_ts",
                 "support_interactions": "ts", "support_outcomes": "outcome_ts"}

    engine = create_engine(url)
    counts: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            for name, frame in frames.items():
                say(f"Writing {name} ({len(frame):,} rows)")
                conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
                _naive_utc(frame).to_sql(name, conn, if_exists="fail", index=False, chunksize=50_000, method=None)
                counts[name] = len(frame)
            say("Creating indexes")
            for name in frames:
                conn.execute(text(f"CREATE INDEX ix_{name}_{ts_column[name]} ON {name} ({ts_column[name]})"))
                conn.execute(text(f"CREATE UNIQUE INDEX ix_{name}_request_id ON {name} (request_id)"))
    finally:
        engine.dispose()
    return counts
