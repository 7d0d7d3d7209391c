"""fraud-scoring: card authorisations, their scores and decisions, and late fraud labels."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from deployments.demo.simulator.incidents import (
    CHARGEBACK_SHARE,
    DEVICE_SHIFT_DAY,
    NO_FRAUD_LABEL_DAYS,
    VOLUME_DIP_DAY,
    first_day,
)
from deployments.demo.simulator.time import daily_timestamps, end_of, request_ids, sigmoid

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
    start = first_day(end, days)
    day_factor = np.ones(days)
    if VOLUME_DIP_DAY < days:
        day_factor[VOLUME_DIP_DAY] = 0.4
    weekday = np.array([0.98, 0.98, 1.0, 1.02, 1.12, 0.98, 0.86])
    ts, day = daily_timestamps(rng, start, days, per_day, weekday / weekday.mean(), 19.0, 0.6, day_factor)
    n = ts.size
    hour = ts.hour.to_numpy()
    post = day >= DEVICE_SHIFT_DAY
    risky = rng.random(n) < np.where((hour >= 4) & (hour <= 10), _RISKY_SHARE[1], _RISKY_SHARE[0])
    f = _fraud_features(rng, hour, risky, post)
    stealth = np.where(f["channel"] == 2, 0.0, _STEALTH_FRAUD)  # chip-and-PIN leaves little room for it
    p_fraud = 1 - (1 - sigmoid(_fraud_logit(f, _MERCHANT_RISK))) * (1 - stealth)
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
    score = sigmoid(0.7 * (_fraud_logit(seen, model_merchant_risk) + rng.normal(0, 0.8, n)) + 0.3)
    score = np.round(score, 4)
    decision = np.where(score >= 0.7, "decline", np.where(score >= 0.4, "review", "approve"))

    needs_review = (decision == "review") | ((decision == "decline") & (seen["amount"] > 5000))
    review_ts = ts + pd.to_timedelta(np.exp(rng.normal(np.log(25), 0.8, n)).clip(1, 2880), unit="min")
    reviewed = needs_review & (rng.random(n) < 0.9) & (review_ts < end_of(end))
    decisions = pd.DataFrame({
        "request_id": request_ids("fr-", n),
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
    known = outcome_ts < end_of(end)
    outcomes = pd.DataFrame({
        "request_id": decisions["request_id"][known].to_numpy(),
        "outcome_ts": outcome_ts[known].floor("s"),
        "is_fraud": is_fraud[known].astype(np.int64),
        "chargeback_amount": np.where(is_fraud, seen["amount"], 0.0)[known],
    }).sort_values("outcome_ts", kind="stable", ignore_index=True)
    outcomes["request_id"] = outcomes["request_id"].astype("str")
    return decisions, outcomes
