"""Money as the owner reads it: in their currency, with its symbol and thousands separators."""

from __future__ import annotations


def currency_symbol(code: str) -> str:
    """How every report and alert writes the owner's currency."""
    return {"USD": "$", "EUR": "€", "GBP": "£"}.get(code, f"{code} ")


def money(amount: float, currency: str) -> str:
    return f"{currency_symbol(currency)}{amount:,.2f}"
