"""The demo simulator: deterministic, well-formed, and every planted incident is really in the data."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.metrics import roc_auc_score
from sqlalchemy import create_engine, inspect

from deployments.demo.simulator import (
    Incident,
    incidents,
    simulate_fraud,
    simulate_support,
    write_demo_database,
)

END = date(2025, 6, 30)
DAYS = 90
START = END - timedelta(days=DAYS - 1)
T0 = pd.Timestamp(START, tz="UTC")
T_END = pd.Timestamp(END + timedelta(days=1), tz="UTC")

FRAUD_COLUMNS = [
    "request_id", "ts", "model_version", "policy_version",
    "amount", "merchant_category", "country", "channel", "card_age_days", "account_age_days",
    "txn_count_24h", "velocity_1h", "avg_amount_30d", "distance_from_home_km", "hour_of_day",
    "is_foreign", "device_trust_score", "prior_chargebacks", "email_domain_age_days",
    "ip_risk_score", "billing_shipping_match", "cvv_attempts",
    "score", "decision", "latency_ms", "reviewer", "review_ts", "final_decision",
]
FRAUD_OUTCOME_COLUMNS = ["request_id", "outcome_ts", "is_fraud", "chargeback_amount"]
SUPPORT_COLUMNS = [
    "request_id", "ts", "model_version", "prompt_version", "route", "model_name", "provider",
    "tokens_in", "tokens_out", "cached_tokens", "latency_ms", "user_message", "response", "error", "fallback",
]
SUPPORT_OUTCOME_COLUMNS = ["request_id", "outcome_ts", "resolved", "escalated", "csat"]


def day_of(ts: pd.Series) -> pd.Series:
    """Day index from the simulation start (0 = first day)."""
    return (ts - T0).dt.days


@pytest.fixture(scope="module")
def fraud() -> tuple[pd.DataFrame, pd.DataFrame]:
    # Large enough that slice recall and AUC on the post-incident labels are stable.
    return simulate_fraud(END, DAYS, per_day=2000)


@pytest.fixture(scope="module")
def support() -> tuple[pd.DataFrame, pd.DataFrame]:
    return simulate_support(END, DAYS, per_day=800)


# ------------------------------------------------------------------ incidents


def test_incident_catalogue_has_concrete_dates() -> None:
    found = {(i.system, i.name): i for i in incidents(END, DAYS)}
    assert set(found) == {
        ("fraud-scoring", "device-trust-shift"), ("fraud-scoring", "app-recall-drop"),
        ("fraud-scoring", "volume-dip"), ("support-assistant", "prompt-bloat"),
        ("support-assistant", "traffic-spike"), ("support-assistant", "costly-model-on-easy"),
        ("support-assistant", "pii-leak"), ("support-assistant", "missing-model-version"),
    }
    assert found["fraud-scoring", "device-trust-shift"].start == START + timedelta(days=60)
    assert found["fraud-scoring", "device-trust-shift"].end is None
    dip = found["fraud-scoring", "volume-dip"]
    assert dip.start == dip.end == START + timedelta(days=75)
    spike = found["support-assistant", "traffic-spike"]
    assert (spike.start, spike.end) == (START + timedelta(days=75), START + timedelta(days=78))
    assert found["support-assistant", "pii-leak"].start == START
    assert {i.duty for i in found.values()} == {"drift", "outcomes", "cost", "compliance"}
    assert all(i.description.endswith(".") and len(i.description) < 250 for i in found.values())
    with pytest.raises(ValidationError):
        dip.name = "renamed"  # frozen


def test_incidents_after_a_short_window_are_left_out() -> None:
    names = {i.name for i in incidents(END, days=55)}
    assert names == {"prompt-bloat", "pii-leak"}
    assert all(isinstance(i, Incident) for i in incidents(END, days=55))


# ---------------------------------------------------------------- determinism


def test_same_seed_same_data_different_seed_different_data() -> None:
    a = simulate_fraud(END, 30, per_day=200)
    b = simulate_fraud(END, 30, per_day=200)
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x, y)
    c = simulate_fraud(END, 30, per_day=200, seed=8)
    assert not a[0]["score"].equals(c[0]["score"]) or len(a[0]) != len(c[0])

    s1 = simulate_support(END, 30, per_day=100)
    s2 = simulate_support(END, 30, per_day=100)
    for x, y in zip(s1, s2):
        pd.testing.assert_frame_equal(x, y)
    s3 = simulate_support(END, 30, per_day=100, seed=12)
    assert not s1[0]["user_message"].equals(s3[0]["user_message"])


# ------------------------------------------------------------- fraud: shape


def test_fraud_decisions_shape_and_time_range(fraud) -> None:
    decisions, outcomes = fraud
    assert list(decisions.columns) == FRAUD_COLUMNS
    assert list(outcomes.columns) == FRAUD_OUTCOME_COLUMNS
    assert str(decisions["ts"].dtype) == "datetime64[ns, UTC]"
    assert decisions["ts"].min() >= T0 and decisions["ts"].max() < T_END
    assert decisions["ts"].is_monotonic_increasing
    assert decisions["request_id"].is_unique
    assert decisions["request_id"].iloc[0] == "fr-000001"
    assert 0.9 * 2000 * DAYS < len(decisions) < 1.1 * 2000 * DAYS
    assert day_of(decisions["ts"]).nunique() == DAYS
    assert (decisions["hour_of_day"] == decisions["ts"].dt.hour).all()
    assert set(decisions["model_version"]) == {"fraud-gbm-1.4"}
    assert set(decisions["policy_version"]) == {"risk-policy-7"}
    assert decisions["merchant_category"].nunique() == 13  # 12 usual + 'crypto'
    assert decisions["country"].nunique() == 10 and decisions["country"].value_counts().index[0] == "US"
    assert set(decisions["channel"]) == {"web", "app", "pos"}
    assert decisions["score"].between(0, 1).all() and decisions["device_trust_score"].between(0, 1).all()
    assert decisions["ip_risk_score"].between(0, 1).all()
    assert (decisions["cvv_attempts"] >= 1).all() and (decisions["cvv_attempts"] == 1).mean() > 0.9
    assert (decisions["prior_chargebacks"] == 0).mean() > 0.9
    assert 25 < decisions["latency_ms"].mean() < 45


def test_decisions_follow_the_policy_and_reviews_are_recorded(fraud) -> None:
    decisions, _ = fraud
    expected = np.where(decisions["score"] >= 0.7, "decline", np.where(decisions["score"] >= 0.4, "review", "approve"))
    assert (decisions["decision"] == expected).all()
    needs_review = (decisions["decision"] == "review") | (
        (decisions["decision"] == "decline") & (decisions["amount"] > 5000))
    reviewed = decisions["reviewer"].notna()
    assert not (reviewed & ~needs_review).any()
    assert 0.75 < reviewed[needs_review].mean() <= 0.95
    assert (reviewed == decisions["review_ts"].notna()).all()
    gap = decisions.loc[reviewed, "review_ts"] - decisions.loc[reviewed, "ts"]
    assert (gap > pd.Timedelta(0)).all() and (decisions.loc[reviewed, "review_ts"] < T_END).all()


def test_traffic_has_daily_and_weekly_seasonality(fraud, support) -> None:
    for frame in (fraud[0], support[0]):
        by_hour = frame["ts"].dt.hour.value_counts()
        assert by_hour.max() > 2.5 * by_hour.min()
        normal = frame[day_of(frame["ts"]) < 60]
        per_day = normal.groupby(normal["ts"].dt.date).size()
        weekend = pd.to_datetime(pd.Series(per_day.index)).dt.dayofweek.to_numpy() >= 5
        assert per_day[weekend].mean() < 0.95 * per_day[~weekend].mean()


def test_fraud_outcomes_arrive_late_and_never_after_end(fraud) -> None:
    decisions, outcomes = fraud
    assert outcomes["request_id"].is_unique
    assert outcomes["outcome_ts"].max() < T_END
    joined = outcomes.merge(decisions[["request_id", "ts", "amount"]], on="request_id", validate="one_to_one")
    assert len(joined) == len(outcomes)
    delay = joined["outcome_ts"] - joined["ts"]
    assert (delay >= pd.Timedelta(days=1)).all() and (delay <= pd.Timedelta(days=90)).all()
    fraud_rows = joined["is_fraud"] == 1
    assert 0.01 < fraud_rows.mean() < 0.022
    assert (joined.loc[fraud_rows, "chargeback_amount"] == joined.loc[fraud_rows, "amount"]).all()
    assert (joined.loc[~fraud_rows, "chargeback_amount"] == 0).all()
    assert set(outcomes["is_fraud"].unique()) == {0, 1}
    # The most recent decisions are not labelled yet.
    last_days = decisions[decisions["ts"] >= T_END - pd.Timedelta(days=3)]
    assert last_days["request_id"].isin(outcomes["request_id"]).mean() < 0.01


def test_score_is_informative_before_the_incident(fraud) -> None:
    decisions, outcomes = fraud
    labelled = decisions.merge(outcomes, on="request_id")
    before = labelled[day_of(labelled["ts"]) < 60]
    assert roc_auc_score(before["is_fraud"], before["score"]) > 0.88
    recall = (before.loc[before["is_fraud"] == 1, "score"] >= 0.7).mean()
    assert recall > 0.75


# ---------------------------------------------------------- fraud: incidents


def test_device_trust_shift_on_app_and_new_crypto_category(fraud) -> None:
    decisions, _ = fraud
    after = day_of(decisions["ts"]) >= 60
    app = decisions["channel"] == "app"
    web = decisions["channel"] == "web"
    trust = decisions["device_trust_score"]
    assert trust[app & ~after].mean() - trust[app & after].mean() > 0.2
    assert abs(trust[web & ~after].mean() - trust[web & after].mean()) < 0.03
    crypto = decisions["merchant_category"] == "crypto"
    assert not crypto[~after].any()
    assert 0.02 < crypto[after].mean() < 0.04


def test_app_recall_drops_while_overall_auc_holds(fraud) -> None:
    decisions, outcomes = fraud
    labelled = decisions.merge(outcomes, on="request_id")
    after = day_of(labelled["ts"]) >= 60
    app_fraud = labelled[(labelled["channel"] == "app") & (labelled["is_fraud"] == 1)]
    app_after = day_of(app_fraud["ts"]) >= 60
    recall_before = (app_fraud.loc[~app_after, "score"] >= 0.7).mean()
    recall_after = (app_fraud.loc[app_after, "score"] >= 0.7).mean()
    assert app_after.sum() > 150  # labels for the incident window did arrive
    assert recall_before > 0.72 and recall_after < 0.62 and recall_before - recall_after > 0.2
    web_fraud = labelled[(labelled["channel"] == "web") & (labelled["is_fraud"] == 1)]
    web_after = day_of(web_fraud["ts"]) >= 60
    web_recall = [(web_fraud.loc[when, "score"] >= 0.7).mean() for when in (~web_after, web_after)]
    assert abs(web_recall[0] - web_recall[1]) < 0.1  # only the app slice degrades
    auc_before = roc_auc_score(labelled.loc[~after, "is_fraud"], labelled.loc[~after, "score"])
    auc_after = roc_auc_score(labelled.loc[after, "is_fraud"], labelled.loc[after, "score"])
    assert abs(auc_before - auc_after) < 0.03


def test_volume_dip_day(fraud) -> None:
    decisions, _ = fraud
    counts = day_of(decisions["ts"]).value_counts().sort_index()
    neighbours = counts.drop(75).loc[68:82]
    assert counts[75] < 0.5 * neighbours.median()
    assert counts.drop(75).min() > 0.7 * counts.median()


# ------------------------------------------------------------------ support


def test_support_shape_and_time_range(support) -> None:
    interactions, outcomes = support
    assert list(interactions.columns) == SUPPORT_COLUMNS
    assert list(outcomes.columns) == SUPPORT_OUTCOME_COLUMNS
    assert str(interactions["ts"].dtype) == "datetime64[ns, UTC]"
    assert interactions["ts"].min() >= T0 and interactions["ts"].max() < T_END
    assert interactions["request_id"].is_unique and interactions["request_id"].iloc[0] == "sa-000001"
    assert 0.9 * 800 * DAYS < len(interactions) < 1.2 * 800 * DAYS
    assert set(interactions["route"]) == {"billing", "technical", "account", "smalltalk"}
    assert set(interactions["model_name"]) == {"gpt-4o-mini", "gpt-4o", "acme-llama-70b"}
    self_hosted = interactions["provider"] == "self-hosted"
    assert (self_hosted == (interactions["model_name"] == "acme-llama-70b")).all()
    assert 0.02 < self_hosted.mean() < 0.04
    assert (interactions["cached_tokens"] == 0).mean() > 0.95
    assert (interactions["cached_tokens"] <= interactions["tokens_in"]).all()
    assert 0.005 < interactions["error"].mean() < 0.015 and 0.015 < interactions["fallback"].mean() < 0.03
    assert (interactions["user_message"].str.len() > 0).all() and (interactions["response"].str.len() > 0).all()
    assert interactions["latency_ms"].gt(0).all()
    assert interactions.loc[interactions["model_name"] == "gpt-4o", "latency_ms"].median() > \
        interactions.loc[interactions["model_name"] == "gpt-4o-mini", "latency_ms"].median()


def test_support_outcomes_within_two_days_and_never_after_end(support) -> None:
    interactions, outcomes = support
    assert outcomes["outcome_ts"].max() < T_END
    joined = outcomes.merge(interactions[["request_id", "ts"]], on="request_id", validate="one_to_one")
    delay = joined["outcome_ts"] - joined["ts"]
    assert (delay > pd.Timedelta(0)).all() and (delay <= pd.Timedelta(days=2)).all()
    assert len(outcomes) > 0.95 * len(interactions)
    csat = outcomes["csat"].dropna()
    assert csat.between(1, 5).all() and 0.1 < outcomes["csat"].notna().mean() < 0.6
    assert not (outcomes["resolved"] & outcomes["escalated"]).any()
    assert 0.7 < outcomes["resolved"].mean() < 0.9


def test_prompt_bloat_on_billing(support) -> None:
    interactions, _ = support
    day = day_of(interactions["ts"])
    assert set(interactions.loc[day < 50, "prompt_version"]) == {"support-v2"}
    assert set(interactions.loc[day >= 50, "prompt_version"]) == {"support-v3"}
    tokens = interactions.groupby([interactions["route"], day >= 50])["tokens_in"].median().unstack()
    assert 1000 < tokens.loc["billing", True] - tokens.loc["billing", False] < 1400
    for route in ("technical", "account", "smalltalk"):
        assert abs(tokens.loc[route, True] - tokens.loc[route, False]) < 100


def test_traffic_spike(support) -> None:
    interactions, _ = support
    counts = day_of(interactions["ts"]).value_counts().sort_index()
    spike = counts.loc[75:78]
    same_weekdays = counts.loc[61:74]
    assert spike.sum() > 2.0 * 4 / 14 * same_weekdays.sum()
    assert counts.drop(range(75, 79)).max() < 1.6 * counts.median()


def test_smalltalk_moves_to_costly_model_without_better_resolution(support) -> None:
    interactions, outcomes = support
    joined = interactions.merge(outcomes, on="request_id")
    small = joined[(joined["route"] == "smalltalk") & (joined["provider"] == "openai")]
    after = day_of(small["ts"]) >= 60
    assert set(small.loc[~after, "model_name"]) == {"gpt-4o-mini"}
    assert set(small.loc[after, "model_name"]) == {"gpt-4o"}
    billing = joined[(joined["route"] == "billing") & (joined["provider"] == "openai")]
    assert set(billing["model_name"]) == {"gpt-4o-mini"}
    technical = joined[(joined["route"] == "technical") & (joined["provider"] == "openai")]
    assert set(technical["model_name"]) == {"gpt-4o"}
    assert abs(small.loc[after, "resolved"].mean() - small.loc[~after, "resolved"].mean()) < 0.05


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+\d{1,3} ?)?\(?\d{2,4}\)?[ -]\d{3,4}[ -]?\d{2,4}")
CARD = re.compile(r"\b\d{13,19}\b")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b")


def test_pii_leaks_into_a_small_share_of_messages(support) -> None:
    messages = support[0]["user_message"]
    kinds = {
        "email": messages.str.contains(EMAIL),
        "phone": messages.str.contains(PHONE),
        "card": messages.map(lambda m: any(_luhn_ok(c) for c in CARD.findall(m))).astype(bool),
        "iban": messages.map(lambda m: any(_iban_ok(c) for c in IBAN.findall(m))).astype(bool),
    }
    for name, hit in kinds.items():
        assert hit.sum() >= 5, name
    any_pii = pd.concat(kinds, axis=1).any(axis=1)
    assert 0.001 < any_pii.mean() < 0.006
    # Every card-like number in the log is a valid one: the leak is real, not noise.
    assert all(_luhn_ok(c) for m in messages[kinds["card"]] for c in CARD.findall(m))


def test_missing_model_version_only_late(support) -> None:
    interactions, _ = support
    day = day_of(interactions["ts"])
    missing = interactions["model_version"].isna()
    assert not missing[day < 80].any()
    assert 0.01 < missing[day >= 80].mean() < 0.035
    assert set(interactions["model_version"].dropna()) == {"support-rag-2.3"}


# ------------------------------------------------------------------ database


def test_write_demo_database_round_trip(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    messages: list[str] = []
    counts = write_demo_database(url, END, scale=0.05, progress=messages.append)
    assert set(counts) == {"fraud_decisions", "fraud_outcomes", "support_interactions", "support_outcomes"}
    assert len(messages) >= 5 and all(isinstance(m, str) and m for m in messages)

    fraud_decisions, fraud_outcomes = simulate_fraud(END, DAYS, per_day=150)
    support_interactions, support_outcomes = simulate_support(END, DAYS, per_day=40)
    expected = {"fraud_decisions": (fraud_decisions, FRAUD_COLUMNS),
                "fraud_outcomes": (fraud_outcomes, FRAUD_OUTCOME_COLUMNS),
                "support_interactions": (support_interactions, SUPPORT_COLUMNS),
                "support_outcomes": (support_outcomes, SUPPORT_OUTCOME_COLUMNS)}

    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        with engine.connect() as conn:
            for name, (frame, columns) in expected.items():
                assert counts[name] == len(frame) > 0
                back = pd.read_sql_table(name, conn)
                assert list(back.columns) == columns
                assert len(back) == counts[name]
                indexed = {c for ix in inspector.get_indexes(name) for c in ix["column_names"]}
                assert {"request_id", "outcome_ts" if "outcome" in name else "ts"} <= indexed
            back = pd.read_sql_table("fraud_decisions", conn)
            stored = pd.to_datetime(back["ts"])
            assert stored.dt.tz is None  # naive UTC in SQL
            pd.testing.assert_series_equal(
                stored.dt.tz_localize("UTC").dt.floor("us"),
                fraud_decisions["ts"].dt.floor("us"), check_names=False, check_dtype=False)
            assert back["reviewer"].isna().sum() == fraud_decisions["reviewer"].isna().sum()
    finally:
        engine.dispose()

    # Writing again replaces the tables instead of appending.
    assert write_demo_database(url, END, scale=0.05) == counts
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = pd.read_sql_query("select count(*) as n from fraud_decisions", conn)["n"][0]
        assert n == counts["fraud_decisions"]
    finally:
        engine.dispose()
