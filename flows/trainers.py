"""Trainers a runbook can name in ``refresh.trainer``.

A trainer takes the features and the 0/1 labels of the training window and
returns a fitted model with ``predict_proba``; Steward stores, versions and
judges it. Text columns are categorical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder


def train_fraud_model(features: pd.DataFrame, labels: pd.Series) -> Pipeline:
    """Gradient-boosted trees; categories unseen in training (a new merchant type) read as missing."""
    text = [c for c in features.columns if features[c].dtype == object or str(features[c].dtype) in ("str", "string")]
    numeric = [c for c in features.columns if c not in text]
    encode = ColumnTransformer(
        [("categories", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), text),
         ("numbers", "passthrough", numeric)],
        verbose_feature_names_out=False,
    )
    model = HistGradientBoostingClassifier(
        categorical_features=list(range(len(text))), learning_rate=0.08, max_iter=300, max_leaf_nodes=31,
        l2_regularization=1.0, early_stopping=True, validation_fraction=0.15, n_iter_no_change=20, random_state=7,
    )
    return Pipeline([("encode", encode), ("model", model)]).fit(features, labels.astype(int))
