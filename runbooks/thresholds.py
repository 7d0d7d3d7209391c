"""Drift's thresholds, apart from the rest of the spec: ``steward drift`` validates its flags with them,
and importing the whole spec (~30 models) costs ~0.1 s of its start-up."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)  # every spec model's
MIN_ROWS = 200  # fewer values in a column of either side: 'insufficient data', no verdict


class DriftThresholds(BaseModel):
    """Effect-size thresholds; p-values never decide a verdict."""

    model_config = STRICT

    psi: float = Field(default=0.2, gt=0)
    jensen_shannon: float = Field(default=0.1, gt=0, le=1)
    wasserstein: float = Field(default=0.1, gt=0)
