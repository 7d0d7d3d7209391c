"""One hash chain for everything Steward must be able to prove untouched: the audit trail and the log seals.

Each link's hash commits to the previous link's hash, so removing, inserting or editing a link breaks
every later one. Chains are independent per ``chain`` key (one per log for seals, one for the audit trail).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

GENESIS = "0" * 64  # the "previous hash" of a chain's first link


def sha256_json(value: Any, *, sort_keys: bool = False) -> str:
    """SHA-256 of ``value``'s canonical compact JSON: the envelope every link hash is taken over."""
    text = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Link(NamedTuple):
    """One stored link as verification sees it: its id, chain, stored hashes and the hash recomputed."""

    ident: Any
    chain: str
    prev_hash: str
    hash: str
    expected: str


def broken_links(links: Iterable[Link]) -> list[Any]:
    """Ids of links, in storage order, whose hash or link to their chain's previous link does not verify."""
    broken: list[Any] = []
    head: dict[str, str] = {}
    for link in links:
        if link.prev_hash != head.get(link.chain, GENESIS) or link.hash != link.expected:
            broken.append(link.ident)
        head[link.chain] = link.hash
    return broken
