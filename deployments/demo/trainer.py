"""Trainers a runbook can name in ``refresh.trainer``.

A trainer takes the features and the 0/1 labels of the training window and
returns a fitted model with ``predict_proba``; Steward stores, versions and
judges it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

_CATEGORIES = ["merchant_category", "country", "channel"]
_LONG_TAILED = ["card_age_days", "account_age_days", "distance_from_home_km", "email_domain_age_days",
                "avg_amount_30d"]
_CAPPED = {"txn_count_24h": 15, "velocity_1h": 8, "prior_chargebacks": 4}


def fraud_features(raw: pd.DataFrame) -> pd.DataFrame:
    """Risk signals on a scale a linear model can use: logs of long tails, capped counts, the amount
    against the card's usual spend, night hours, and device trust per channel (what a device's trust
    score means differs between the app, the web and a card terminal, and can change with an SDK)."""
    out = pd.DataFrame(index=raw.index)
    out["log_amount_ratio"] = np.log(raw["amount"].clip(lower=0.01) / raw["avg_amount_30d"].clip(lower=0.01)).clip(-2, 3)
    for column in _LONG_TAILED:
        out[f"log_{column}"] = np.log1p(raw[column].clip(lower=0))
    for column, cap in _CAPPED.items():
        out[column] = np.minimum(raw[column], cap)
    out["night"] = raw["hour_of_day"].between(4, 10).astype(float)
    for column in ("is_foreign", "billing_shipping_match", "cvv_attempts", "ip_risk_score"):
        out[column] = raw[column].astype(float)
    for channel in ("app", "web", "pos"):
        out[f"device_trust_{channel}"] = raw["device_trust_score"] * (raw["channel"] == channel)
    for column in _CATEGORIES:
        out[column] = raw[column].astype(str)
    return out


def train_fraud_model(features: pd.DataFrame, labels: pd.Series) -> Pipeline:
    """A calibrated logistic model on ``fraud_features``; an unseen category (a new merchant type)
    contributes nothing rather than failing, and a missing value reads as the median."""
    numbers = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    encode = ColumnTransformer([("categories", OneHotEncoder(handle_unknown="ignore"), _CATEGORIES)],
                               remainder=numbers)
    model = Pipeline([("features", FunctionTransformer(fraud_features)), ("encode", encode),
                      ("model", LogisticRegression(C=1.0, max_iter=2000))])
    return model.fit(features, labels.astype(int))
