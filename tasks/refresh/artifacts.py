"""Model artifacts: how a registered version is stored, loaded and asked for scores.

Two kinds of artifact URI:

- ``log:<model name>``: a model Steward did not train, e.g. the demo's
  ``fraud-gbm-1.4``. Its predictions are the scores already in the system's
  log (and kept with each golden example), so it is judged on exactly what it
  decided in production.
- a path to a joblib file under ``$STEWARD_HOME/models/<system>/``: a model
  a runbook's trainer fitted; it scores any frame with the runbook's features.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from runbooks.spec import RunbookSpec
from tasks.core.errors import StewardError
from tasks.core.imports import load_callable
from tasks.store.database import steward_home

LOGGED = "log:"
Trainer = Callable[[pd.DataFrame, pd.Series], Any]


class ModelError(StewardError):
    """A trainer or artifact that cannot be used as the runbook says."""


def load_trainer(reference: str) -> Trainer:
    """The ``module:function`` named in ``refresh.trainer``."""
    return load_callable(reference, "refresh.trainer", ModelError)


def code_version(reference: str) -> str:
    """Which code trained a version: the trainer's name and a hash of its module's source."""
    source = inspect.getsource(import_module(reference.partition(":")[0]))
    return f"{reference}@{hashlib.sha256(source.encode()).hexdigest()[:12]}"


def fingerprint(frame: pd.DataFrame) -> str:
    """A stable hash of the exact rows and columns a model was trained on."""
    digest = hashlib.sha256(",".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def save_model(model: Any, system: str, version: int) -> str:
    path = steward_home() / "models" / system / f"v{version}.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    return str(path)


def predict(uri: str, frame: pd.DataFrame, spec: RunbookSpec) -> np.ndarray:
    """Scores of the version stored at ``uri`` for every row of ``frame``."""
    cols = spec.source.columns
    if uri.startswith(LOGGED):
        if not cols.score or cols.score not in frame:
            raise ModelError(f"{spec.system}: {uri} is judged on the log's scores, but source.columns.score is not set")
        return frame[cols.score].to_numpy(dtype=float)
    if not Path(uri).is_file():
        raise ModelError(f"{spec.system}: model artifact {uri} is missing")
    model = joblib.load(uri)
    return np.asarray(model.predict_proba(frame[cols.features])[:, 1], dtype=float)
