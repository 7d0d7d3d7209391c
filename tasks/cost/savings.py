"""Where the money goes that need not: prompt bloat, the costliest model on easy requests, missed caching.

Each finder returns recommendations with an estimated monthly saving and the
evidence behind it. A saving is the window's avoidable cost at the rate seen on
the days the cause was active, scaled to a whole month. No advice rests on fewer
than ``min_calls`` calls (the runbook's ``cost.min_calls_for_advice``); per-call
figures count only the calls that logged their tokens (``token_calls``).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import pandas as pd
from pydantic import BaseModel

from tasks.cost.pricing import UnitPrice

MIN_CALLS = 30  # fewer calls than this in a group: too few to judge tokens per call or success rates
CACHE_MIN_PREFIX = 1024  # providers cache only prompts of at least this many tokens (OpenAI, Anthropic)
CACHE_TARGET_HIT_RATE = 0.5


class Recommendation(BaseModel):
    key: str
    title: str
    monthly_saving: float
    evidence: dict[str, Any]


def per_month(saving: float, active_days: int, month_of: date) -> float:
    """Scale a saving seen over ``active_days`` to a whole calendar month."""
    days_in_month = calendar.monthrange(month_of.year, month_of.month)[1]
    return saving / max(active_days, 1) * days_in_month


def _tokens_per_call(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sums = frame.groupby(keys)[["token_calls", "tokens_in"]].sum()
    sums["tokens_per_call"] = sums["tokens_in"] / sums["token_calls"].where(sums["token_calls"] > 0)
    return sums


def prompt_bloat(current: pd.DataFrame, previous: pd.DataFrame, prices: dict[str, UnitPrice | None],
                 max_growth: float, month_of: date, min_calls: int) -> list[Recommendation]:
    """Templates whose input tokens per call grew by more than ``max_growth`` over the previous month.

    A template is compared with itself last month; a template new this month with its route's
    prompts last month, which is what it replaced.
    """
    now = _tokens_per_call(current, ["route", "template"])
    before_same = _tokens_per_call(previous, ["route", "template"])
    before_route = _tokens_per_call(previous, ["route"])
    found = []
    for row in now[now["token_calls"] >= max(MIN_CALLS, min_calls)].reset_index().to_dict("records"):
        route, template = row["route"], row["template"]
        if (route, template) in before_same.index and before_same.loc[(route, template), "token_calls"] >= MIN_CALLS:
            reference, against = before_same.loc[(route, template), "tokens_per_call"], f"{template} last month"
        elif route in before_route.index and before_route.loc[route, "token_calls"] >= MIN_CALLS:
            reference, against = before_route.loc[route, "tokens_per_call"], f"route {route} last month"
        else:
            continue
        if not reference:
            continue
        growth = row["tokens_per_call"] / reference - 1
        if growth < max_growth:
            continue
        added = row["tokens_per_call"] - reference
        group = current[(current["route"] == route) & (current["template"] == template)]
        by_model = group.groupby("model")["token_calls"].sum()
        avoidable = sum(calls * added * p.input / 1e6 for m, calls in by_model.items() if (p := prices.get(m)))
        found.append(Recommendation(
            key=f"prompt-bloat:{template}:{route}",
            title=f"Trim template {template} on route {route}: its prompts grew {growth:.0%} "
                  f"(+{added:,.0f} input tokens per call against {against})",
            monthly_saving=per_month(avoidable, group["day"].nunique(), month_of),
            evidence={"route": route, "template": template, "tokens_per_call": round(row["tokens_per_call"], 1),
                      "reference_tokens_per_call": round(reference, 1), "reference": against,
                      "added_tokens_per_call": round(added, 1), "growth": round(growth, 4),
                      "calls": int(row["token_calls"]),
                      "avoidable_cost_in_window": round(avoidable, 4)},
        ))
    return found


def _success_rate(frame: pd.DataFrame) -> float | None:
    outcomes = frame["outcomes"].sum()
    return float(frame["successes"].sum() / outcomes) if outcomes >= MIN_CALLS else None


def easy_on_costly(current: pd.DataFrame, previous: pd.DataFrame, easy_routes: list[str],
                   prices: dict[str, UnitPrice | None], tolerance: float, month_of: date,
                   min_calls: int) -> tuple[list[dict[str, Any]], list[Recommendation]]:
    """Per easy route: the share of calls on the costliest model, and a cheaper model to send them to
    when its success rate on that route (this month, else last month) is within ``tolerance`` and at
    least ``min_calls`` calls went to the costliest model."""
    shares, found = [], []
    for route in easy_routes:
        calls, before = current[current["route"] == route], previous[previous["route"] == route]
        used = [m for m in calls["model"].unique() if prices.get(m)]
        if not used or not calls["token_calls"].sum():
            continue
        tokens = calls[["tokens_in", "tokens_out", "cached_tokens"]].sum()

        def per_call(model: str) -> float:
            return prices[model].cost(*tokens) / calls["token_calls"].sum()  # type: ignore[union-attr]

        def success_rate(model: str) -> float | None:
            now = _success_rate(calls[calls["model"] == model])
            return now if now is not None else _success_rate(before[before["model"] == model])

        costliest = max(used, key=per_call)
        on_costly = calls[calls["model"] == costliest]
        share = float(on_costly["calls"].sum() / calls["calls"].sum())
        shares.append({"route": route, "costliest_model": costliest, "share": round(share, 4),
                       "calls": int(on_costly["calls"].sum())})
        if on_costly["calls"].sum() < min_calls:
            continue
        costly_rate = success_rate(costliest)
        candidates = {m for m in [*calls["model"], *before["model"]] if prices.get(m) and per_call(m) < per_call(costliest)}
        for cheaper in sorted(candidates, key=per_call):
            cheaper_rate = success_rate(cheaper)
            if costly_rate is None or cheaper_rate is None or cheaper_rate < costly_rate - tolerance:
                continue
            used = on_costly[["tokens_in", "tokens_out", "cached_tokens"]].sum()
            saving = prices[costliest].cost(*used) - prices[cheaper].cost(*used)  # type: ignore[union-attr]
            found.append(Recommendation(
                key=f"costly-model-on-easy:{route}",
                title=f"Route {route} to {cheaper} instead of {costliest}: {share:.0%} of {route} calls use the "
                      f"costliest model; {cheaper} succeeds on {cheaper_rate:.1%} of {route} calls, {costliest} on "
                      f"{costly_rate:.1%}",
                monthly_saving=per_month(saving, on_costly["day"].nunique(), month_of),
                evidence={"route": route, "costliest_model": costliest, "cheaper_model": cheaper, "share": round(share, 4),
                          "calls_on_costliest": int(on_costly["calls"].sum()),
                          "success_rate_costliest": round(costly_rate, 4), "success_rate_cheaper": round(cheaper_rate, 4),
                          "tolerance": tolerance, "avoidable_cost_in_window": round(saving, 4)},
            ))
            break
    return shares, found


def caching(current: pd.DataFrame, prices: dict[str, UnitPrice | None], month_of: date,
            min_calls: int) -> tuple[list[dict[str, Any]], list[Recommendation]]:
    """Cache hit rate per route and model, and what caching the repeated prompt prefix would have saved.

    The repeated prefix is estimated as the route's shortest prompt (every call sends at least that
    much of the same template): a conservative floor, counted only where providers cache at all.
    """
    rows, found = [], []
    sums = current.groupby(["route", "model"]).agg(calls=("token_calls", "sum"), cached_calls=("cached_calls", "sum"),
                                                   cached_tokens=("cached_tokens", "sum"), prefix=("min_tokens_in", "min"),
                                                   days=("day", "nunique"))
    for row in sums[sums["calls"] > 0].reset_index().to_dict("records"):  # records: thousands of routes in a blink
        route, model = row["route"], row["model"]
        hit_rate = row["cached_calls"] / row["calls"]
        price = prices.get(model)
        cacheable = row["calls"] * row["prefix"] if row["prefix"] >= CACHE_MIN_PREFIX else 0.0
        saving = max(cacheable - row["cached_tokens"], 0.0) * (price.input - price.cached_input) / 1e6 if price else 0.0
        rows.append({"route": route, "model": model, "calls": int(row["calls"]), "cache_hit_rate": round(hit_rate, 4),
                     "repeated_prefix_tokens": int(row["prefix"]), "missed_saving": round(saving, 4)})
        if saving > 0 and hit_rate < CACHE_TARGET_HIT_RATE and row["calls"] >= min_calls:
            found.append(Recommendation(
                key=f"prompt-caching:{route}:{model}",
                title=f"Turn on prompt caching for route {route} ({model}): {hit_rate:.0%} of calls hit the cache, "
                      f"yet every call repeats at least {row['prefix']:,.0f} prompt tokens",
                monthly_saving=per_month(saving, int(row["days"]), month_of),
                evidence={"route": route, "model": model, "cache_hit_rate": round(hit_rate, 4),
                          "repeated_prefix_tokens": int(row["prefix"]), "calls": int(row["calls"]),
                          "input_per_mtok": price.input, "cached_input_per_mtok": price.cached_input,  # type: ignore[union-attr]
                          "avoidable_cost_in_window": round(saving, 4)},
            ))
    return rows, found
