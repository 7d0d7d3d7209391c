"""What a model's tokens cost: the runbook's own rates first, then the bundled genai-prices table.

genai-prices ships its price table inside the package; it only fetches newer
prices when an ``UpdatePrices`` updater is started, which Steward never does,
so pricing is offline and reproducible. A model found in neither place is
*unpriced*: the review reports its calls and never counts them as $0.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from pydantic import BaseModel, ConfigDict

from runbooks.spec import ModelPrice

MTOK = 1_000_000


class UnitPrice(BaseModel):
    """Dollars per million tokens; cached input tokens are billed at ``cached_input`` instead of ``input``."""

    model_config = ConfigDict(frozen=True)

    input: float
    output: float
    cached_input: float
    source: str  # "runbook" or "genai-prices <provider>/<model>"

    def cost(self, tokens_in: float, tokens_out: float, cached_tokens: float = 0.0) -> float:
        """Cost of calls with these token totals; ``tokens_in`` includes the cached tokens."""
        fresh = tokens_in - cached_tokens
        return (fresh * self.input + cached_tokens * self.cached_input + tokens_out * self.output) / MTOK


def from_runbook(rate: ModelPrice) -> UnitPrice:
    cached = rate.input_per_mtok if rate.cached_input_per_mtok is None else rate.cached_input_per_mtok
    return UnitPrice(input=rate.input_per_mtok, output=rate.output_per_mtok, cached_input=cached, source="runbook")


@cache
def table_price(model: str, at: datetime) -> UnitPrice | None:
    """The bundled table's base-tier rates for ``model`` on date ``at``; None when the table lacks it."""
    from genai_prices import Usage, calc_price

    def per_mtok(usage: Usage) -> float:
        return float(calc_price(usage, model, genai_request_timestamp=at).total_price)

    try:
        fresh = per_mtok(Usage(input_tokens=MTOK))
        output = per_mtok(Usage(output_tokens=MTOK))
        cached = per_mtok(Usage(input_tokens=MTOK, cache_read_tokens=MTOK))
        found = calc_price(Usage(input_tokens=1), model, genai_request_timestamp=at)
    except LookupError:
        return None
    return UnitPrice(input=fresh, output=output, cached_input=cached,
                     source=f"genai-prices {found.provider.id}/{found.model.id}")


def unit_price(model: str, overrides: dict[str, ModelPrice], at: datetime) -> UnitPrice | None:
    """The runbook's rate for ``model`` when it names one, else the public table's; None if unpriced."""
    if model in overrides:
        return from_runbook(overrides[model])
    return table_price(model, at)
