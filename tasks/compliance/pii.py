"""Find personal data in logged free text: fast regexes, then a checksum or range check per hit.

One pattern per kind scans all of a column's text in one pass (rows joined by a
newline, hits mapped back to rows; the numeric kinds only inside its runs of
digits and separators); a candidate only counts when it validates
(Luhn and an issuer's length for cards, the country's length and ISO 7064
mod-97 for IBANs, octet ranges for IPs), so order numbers, dates, epoch
timestamps and version strings stay quiet. tests/compliance/test_pii_conformance.py holds
it to Presidio's own recognizer test cases. Raw values never leave this module:
callers get counts, request ids and masked samples.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field as default
from itertools import accumulate
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only the type: the scan's process need not import the runbook models
    from runbooks.spec import NationalId

SAMPLES = 3
EXAMPLES = 5

_HEX = "[0-9A-Fa-f]"
_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
# One pattern per kind: separate passes are about twice as fast as one alternation here. Where a pattern
# can, it opens with a character class and checks what precedes that first character with a lookbehind
# after it ("\d(?<![\w.-]\d)" rather than "(?<![\w.-])\d"): the regex engine then skips ahead to candidate
# characters in C, about three times faster than trying the lookbehind at every position. IPv6 is hex
# groups with at least two colons, "::" compression, an IPv4 tail and a zone; a word character, or
# ".digit", after it vetoes it. Email and IPv6 are only tried next to their "@" or ":" (_emails, _ipv6s).
_PATTERNS = {
    "email": re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                        r"\.(?:xn--[A-Za-z0-9-]{1,59}|[A-Za-z]{2,24})\b"),
    "iban": re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?:[A-Z0-9]{11,30}|([ -])[A-Z0-9]{4}(?:\1[A-Z0-9]{4}){1,7}"
                       r"(?:\1[A-Z0-9]{1,3})?)(?![A-Za-z0-9])"),
    "phone": re.compile(r"(?:\+(?<![\w+]\+)\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d"
                        r"|\((?<![\w+]\()\d{3}\) ?\d{3}[ .-]\d{4}"
                        r"|\d(?<![\w+]\d)\d{2}[.-]\d{3}[.-]\d{4})(?![\w-])"),
    "card": re.compile(r"\d(?<![\w.-]\d)\d{3}(?:\d{9,15}|([ -])\d{3,6}(?:\1\d{3,6}){1,3})(?![\w-])"),
    "ipv6": re.compile(rf"(?<![\w:]){_HEX}{{0,4}}(?::{_HEX}{{0,4}}){{2,7}}(?:(?<=:){_IPV4})?(?:%[\w.]+)?"
                       rf"(?![\w:]|\.\d)"),
    "ipv4": re.compile(r"\d(?<![\w.-]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\w-])"),
}
# "version 1.2.3.4" or "v10.0.0.1" is a release number, not an address.
_VERSION_BEFORE = re.compile(r"(?i)(?:version|release|build|ver\.?|v)\s*$")

# Card lengths each major industry identifier's issuers use (ISO/IEC 7812): 1 UATP; 2 Mastercard 2-series,
# Mir; 3 Diners 14, Amex 15, JCB 16-19; 4 Visa; 5 Mastercard, Maestro; 6 Discover, UnionPay, Maestro, RuPay.
# Other first digits are not payment cards. A 13-digit number starting 1-3 is what an epoch-millisecond
# timestamp of 2001-09-09 to 2096 looks like, and no issuer with those prefixes issues 13 digits
# (Presidio's card pattern makes the same cut for 1 followed by 12 digits).
_CARD_LENGTHS = {"1": (15,), "2": (16, 17, 18, 19), "3": (14, 15, 16, 17, 18, 19), "4": (13, 16, 19),
                 "5": tuple(range(13, 20)), "6": tuple(range(13, 20))}

# IBAN length per country (the ISO 13616 registry, SWIFT release 2025): a country code outside it, or
# another length, is not an IBAN, and the length says where an IBAN ends when a word or currency follows.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


_EMAIL_LOCAL_RUN = re.compile(r"[\w.%+-]*\Z")  # what the email pattern's lookbehind keeps it from starting inside


def _emails(text: str) -> Iterator[re.Match[str]]:
    """The email pattern's matches, tried only where an "@" is: a pass over all the text costs more than the rest.

    The pattern cannot start inside a run of local-part characters, so each "@" has one place to try: the
    start of the run before it (runs over 256 characters, four times an RFC 5321 local part, are not tried).
    """
    pattern, at = _PATTERNS["email"], text.find("@")
    while at != -1:
        window = max(0, at - 256)
        run = _EMAIL_LOCAL_RUN.search(text, window, at)
        match = pattern.match(text, run.start()) if run and (run.start() > window or window == 0) else None
        if match:
            yield match
        at = text.find("@", match.end() if match else at + 1)


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _ipv6s(text: str) -> Iterator[re.Match[str]]:
    """The IPv6 pattern's matches, tried only where a ":" is: it can start at most four hex digits before one."""
    pattern, colon = _PATTERNS["ipv6"], text.find(":")
    while colon != -1:
        start = colon
        while start > max(0, colon - 4) and text[start - 1] in _HEX_DIGITS:
            start -= 1
        match = pattern.match(text, start)
        if match:
            yield match
        colon = text.find(":", match.end() if match else colon + 1)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mod97_valid(value: str) -> bool:
    """ISO 7064 MOD 97-10 as IBANs use it: move the first four characters to the end, letters to numbers."""
    text = value[4:] + value[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in text)) % 97 == 1
    except ValueError:
        return False


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _card(text: str) -> str | None:
    """The card in a candidate; a grouped one may carry a trailing number ("4111 1111 1111 1111 2026")."""
    groups = re.split(r"[ -]", text)
    for end in range(len(groups), 0, -1):
        digits = "".join(groups[:end])
        if len(digits) < 13:
            break
        if (len(digits) in _CARD_LENGTHS.get(digits[0], ()) and len(set(digits)) > 1
                and luhn_valid(digits)):
            return text[:sum(map(len, groups[:end])) + end - 1]
    return None


def _iban(text: str) -> str | None:
    """The IBAN a candidate starts with, cut at its country's length, which must end a group."""
    length = _IBAN_LENGTHS.get(text[:2])
    compact = text.replace(" ", "").replace("-", "")
    if length is None or len(compact) < length or not mod97_valid(compact[:length]):
        return None
    end, seen = 0, 0
    while seen < length:  # the position in ``text`` just after the length-th alphanumeric character
        seen += text[end] not in " -"
        end += 1
    return text[:end] if end == len(text) or text[end] in " -" else None


def _phone(text: str) -> str | None:
    return text if 8 <= len(_digits(text)) <= 15 else None


def _ip(text: str) -> str | None:
    if ":" in text and text.count(":") < 3 and "::" not in text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return None if address.version == 6 and address.is_unspecified else text  # "::" is nobody's address


# Phones, cards and IPv4 addresses are made of digits and ``+(). -`` only and are at least 7 characters
# long, so they can only lie in a run of those characters that starts with a digit, "+" or "(": one pass
# finds the runs (a few per cent of free text), and those three patterns search only inside them.
_NUMBER_RUN = re.compile(r"[\d+(][\d+(). -]{6,}")
_Candidates = Callable[[str, list[tuple[int, int]]], Iterator[re.Match[str]]]  # (text, its number runs) -> matches


def _in_number_runs(name: str) -> _Candidates:
    """A pass searching the number runs of the text only; one character past each run feeds its lookahead."""
    pattern = _PATTERNS[name]

    def candidates(text: str, runs: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
        for start, end in runs:
            yield from pattern.finditer(text, start, end + 1)  # lookbehinds still see what precedes ``start``

    return candidates


def _whole_text(search: Callable[[str], Iterator[re.Match[str]]]) -> _Candidates:
    return lambda text, _runs: search(text)


# The passes over a text in order: (pattern, kind reported, candidates, check of a candidate returning the
# validated value, possibly shorter, or None).
_PASSES: list[tuple[str, str, _Candidates, Callable[[str], str | None]]] = [
    ("email", "email", _whole_text(_emails), lambda text: text),
    ("iban", "iban", _whole_text(_PATTERNS["iban"].finditer), _iban),
    ("phone", "phone", _in_number_runs("phone"), _phone),
    ("card", "card", _in_number_runs("card"), _card),
    ("ipv6", "ip", _whole_text(_ipv6s), _ip),
    ("ipv4", "ip", _in_number_runs("ipv4"), _ip),
]
# A hit of the key's pass claims its span from the later passes named: an IBAN's digits are the IBAN, not
# also a card or phone; the IPv4 tail of "::ffff:10.0.0.1" is that IPv6 address, not a second one.
_CLAIMS = {"iban": ("phone", "card"), "ipv6": ("ipv4",)}
_CHECKSUMS: dict[str, Callable[[str], bool]] = {
    "luhn": lambda text: luhn_valid(_digits(text)),
    "mod97": lambda text: mod97_valid(re.sub(r"[\s-]", "", text).upper()),
}


def mask(kind: str, value: str) -> str:
    """A sample safe to show: enough shape to recognise the kind, never enough to recover the value."""
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@***.{domain.rsplit('.', 1)[-1]}"
    if kind == "card":
        return f"**** **** **** {_digits(value)[-4:]}"
    if kind == "iban":
        return f"{value[:2]}** **** **** {value.replace(' ', '')[-2:]}"
    if kind == "ip":
        return "***.***.***." + value.rsplit(".", 1)[-1] if "." in value else "****:****:…"
    return re.sub(r"[A-Za-z0-9]", "*", value[:-2]) + value[-2:]


# Dataclasses, not pydantic models: a process that only scans need not import pydantic.
@dataclass
class Hits:
    """What one kind of personal data looks like in one field: counts and safe evidence only."""

    field: str
    kind: str
    matches: int = 0
    rows: int = 0
    request_ids: list[str] = default(default_factory=list)
    masked_samples: list[str] = default(default_factory=list)

    def evidence(self) -> dict[str, Any]:
        """The counts and masked samples, without the request ids (which the check lists once, for all kinds)."""
        return {k: v for k, v in asdict(self).items() if k != "request_ids"}


@dataclass
class FieldScan:
    """One column's scan: hits per kind, and the positions of the rows holding any (not their content)."""

    field: str
    hits: list[Hits]
    rows: list[int]


class Detector:
    """The built-in detectors plus a runbook's national ids, compiled once."""

    def __init__(self, national_ids: Sequence[NationalId] = ()):
        self.national = [(n.name, re.compile(n.pattern), _CHECKSUMS.get(n.checksum or "")) for n in national_ids]

    def find(self, text: str) -> Iterable[tuple[int, str, str]]:
        """(offset, kind, value) of every validated hit in ``text``."""
        claimed: dict[str, tuple[list[int], list[int]]] = {}  # pass -> starts and ends of claimed spans, in order
        runs = [match.span() for match in _NUMBER_RUN.finditer(text)]
        for name, kind, candidates, valid in _PASSES:
            starts, ends = claimed.get(name, ([], []))
            for match in candidates(text, runs):
                start = match.start()
                if kind == "ip" and _VERSION_BEFORE.search(text, max(0, start - 12), start):
                    continue
                value = valid(match.group())
                if value is None:
                    continue
                end = start + len(value)
                if (last := bisect_left(starts, end) - 1) >= 0 and ends[last] > start:  # inside a claimed span
                    continue
                for other in _CLAIMS.get(name, ()):
                    other_starts, other_ends = claimed.setdefault(other, ([], []))
                    other_starts.append(start)
                    other_ends.append(end)
                yield start, kind, value
        for name, pattern, checksum in self.national:
            for match in pattern.finditer(text):
                if checksum is None or checksum(match.group()):
                    yield match.start(), name, match.group()

    def scan(self, field: str, texts: Sequence[str | None], request_ids: Sequence[str]) -> FieldScan:
        """Hits per kind in one column; rows are scanned as one newline-joined text for speed."""
        values = ["" if t is None or t != t else str(t).replace("\n", " ") for t in texts]
        starts = list(accumulate((len(v) + 1 for v in values[:-1]), initial=0)) if values else []
        found: dict[str, Hits] = {}
        rows_seen: dict[str, set[int]] = {}
        for offset, kind, value in self.find("\n".join(values)):
            row = bisect_right(starts, offset) - 1
            if (hits := found.get(kind)) is None:
                hits = found[kind] = Hits(field=field, kind=kind)
                rows_seen[kind] = set()
            hits.matches += 1
            rows = rows_seen[kind]
            if row not in rows:
                rows.add(row)
                if len(hits.request_ids) < EXAMPLES:
                    hits.request_ids.append(str(request_ids[row]))
            if len(hits.masked_samples) < SAMPLES and (sample := mask(kind, value)) not in hits.masked_samples:
                hits.masked_samples.append(sample)
        for kind, hits in found.items():
            hits.rows = len(rows_seen[kind])
        return FieldScan(field=field, hits=sorted(found.values(), key=lambda h: h.kind),
                         rows=sorted(set().union(*rows_seen.values())))
