"""Money as the owner reads it: in their currency, with its symbol and thousands separators."""

from __future__ import annotations


def currency_symbol(code: str) -> str:
    """How every report and alert writes the owner's currency."""
    return {"USD": "$", "EUR": "€", "GBP": "£"}.get(code, f"{code} ")


def money(amount: float, currency: str, signed: bool = False) -> str:
    """``$1,234.50``; the sign goes before the symbol (``-$5.00``), and ``signed`` writes ``+`` too (a change)."""
    sign = "-" if amount < 0 else "+" if signed else ""
    return f"{sign}{currency_symbol(currency)}{abs(amount):,.2f}"
