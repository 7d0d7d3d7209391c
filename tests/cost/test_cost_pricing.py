"""Price maths against hand-computed values, the runbook's overrides, and no network at run time."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from runbooks.spec import ModelPrice, RunbookSpec
from tasks.cost.data import KEYS, MEASURES
from tasks.cost.pricing import table_price, unit_price
from tasks.cost.spend import priced, prices_for

OCT = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test: pricing must come from the bundled table."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    table_price.cache_clear()


def spec_with(kind: str = "llm_app", **cost) -> RunbookSpec:
    return RunbookSpec.model_validate({
        "system": "pricing-test", "description": "d", "kind": kind,
        "owner": {"name": "O", "role": "r", "slack_user_id": "U01OWNER01", "backup": {"name": "B", "slack_user_id": "U01BACK001"}},
        "source": {"path": "/nowhere/*.parquet", "columns": {"model_name": "m", "tokens_in": "i", "tokens_out": "o"}},
        "cost": cost,
    })


def groups(*rows: dict) -> pd.DataFrame:
    base = {k: 0.0 for k in MEASURES} | {"day": date(2026, 10, 1), "route": "r", "template": "t"}
    return pd.DataFrame([base | row for row in rows])[[*KEYS, *MEASURES]]


def test_table_prices_cached_tokens_by_hand(no_network) -> None:
    gpt4o = unit_price("gpt-4o", {}, OCT)
    assert gpt4o is not None and gpt4o.source == "genai-prices openai/gpt-4o"
    # 1,000 input tokens of which 400 cached, 200 output, at $2.50 / $1.25 cached / $10 per million:
    assert gpt4o.cost(1000, 200, 400) == pytest.approx((600 * 2.50 + 400 * 1.25 + 200 * 10.0) / 1e6)
    mini = unit_price("gpt-4o-mini", {}, OCT)
    assert mini is not None
    assert mini.cost(2_000_000, 1_000_000, 1_000_000) == pytest.approx(1 * 0.15 + 1 * 0.075 + 1 * 0.60)


def test_runbook_override_wins_and_unknown_models_are_unpriced(no_network) -> None:
    overrides = {"gpt-4o": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0),
                 "acme-llama-70b": ModelPrice(input_per_mtok=0.6, output_per_mtok=0.8, cached_input_per_mtok=0.1)}
    negotiated = unit_price("gpt-4o", overrides, OCT)
    assert negotiated is not None and negotiated.source == "runbook"
    assert negotiated.cost(1000, 100, 500) == pytest.approx((1000 * 1.0 + 100 * 2.0) / 1e6)  # cached at the input rate
    assert unit_price("acme-llama-70b", overrides, OCT).cost(1000, 100, 500) == pytest.approx((500 * .6 + 500 * .1 + 100 * .8) / 1e6)
    assert unit_price("acme-llama-70b", {}, OCT) is None


def test_unpriced_calls_are_counted_never_zero_and_logged_cost_wins(no_network) -> None:
    spec = spec_with(monthly_budget=100)
    agg = groups(
        # 2 of the 12 calls logged no token counts: their cost is unknown, neither $0 nor "unpriced".
        {"model": "gpt-4o", "calls": 12, "unlogged_token_calls": 10, "unlogged_in": 10_000, "unlogged_out": 1_000},
        {"model": "acme-llama-70b", "calls": 7, "unlogged_token_calls": 7, "unlogged_in": 7_000, "unlogged_out": 700},
        # 5 calls carry a logged cost of $3; the other 2 are priced from their tokens.
        {"model": "gpt-4o-mini", "calls": 7, "logged_cost": 3.0, "logged_calls": 5, "unlogged_token_calls": 2,
         "unlogged_in": 1_000_000},
    )
    out = priced(agg, spec, prices_for(list(agg["model"]), spec, OCT)).set_index("model")
    assert out.loc["gpt-4o", "cost"] == pytest.approx((10_000 * 2.5 + 1_000 * 10) / 1e6)
    assert out.loc["acme-llama-70b", "unpriced_calls"] == 7 and out.loc["gpt-4o", "unpriced_calls"] == 0
    assert out["untokened_calls"].to_dict() == {"gpt-4o": 2, "acme-llama-70b": 0, "gpt-4o-mini": 0}
    assert out.loc["gpt-4o-mini", "cost"] == pytest.approx(3.0 + 0.15)


def test_classic_ml_costs_per_thousand_predictions() -> None:
    agg = groups({"model": "fraud-gbm-1.4", "calls": 2500})
    with_rate = priced(agg, spec_with("classifier", cost_per_1k_predictions=0.42), {})
    assert with_rate["cost"].iloc[0] == pytest.approx(1.05) and with_rate["unpriced_calls"].iloc[0] == 0
    without = priced(agg, spec_with("classifier"), {})
    assert without["cost"].iloc[0] == 0 and without["unpriced_calls"].iloc[0] == 2500


def test_the_bundled_table_is_used_not_an_updater(no_network) -> None:
    """Pricing (with no network at all) leaves genai-prices on its bundled snapshot: nothing started its updater."""
    from genai_prices import data_snapshot

    agg = groups({"model": "gpt-4o-mini", "calls": 10, "tokens_in": 1000, "tokens_out": 100, "unlogged_in": 1000,
                  "unlogged_out": 100})
    assert priced(agg, spec_with(), prices_for(["gpt-4o-mini"], spec_with(), OCT))["cost"].iloc[0] > 0
    assert data_snapshot.get_snapshot().from_auto_update is False
