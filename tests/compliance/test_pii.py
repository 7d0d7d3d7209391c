"""PII detectors: true positives, near misses, masking, and every leak the simulator plants."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from deployments.demo.simulator import PLANTED_PII, simulate_support
from runbooks.spec import NationalId
from tasks.compliance import pii
from tasks.compliance.pii import Detector, luhn_valid, mask, mod97_valid

DETECT = Detector()


def kinds(text: str) -> list[tuple[str, str]]:
    return [(kind, value) for _, kind, value in DETECT.find(text)]


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("mail me at jane.doe@example.com.", "email", "jane.doe@example.com"),
    ("kwame.owusu@mail.example.net", "email", "kwame.owusu@mail.example.net"),
    ("call +1 415 555 0132 today", "phone", "+1 415 555 0132"),
    ("(212) 555-0187", "phone", "(212) 555-0187"),
    ("+49 30 901820", "phone", "+49 30 901820"),
    ("415-555-0132", "phone", "415-555-0132"),
    ("card 4111111111111111.", "card", "4111111111111111"),
    ("amex 378282246310005", "card", "378282246310005"),
    ("4111 1111 1111 1111", "card", "4111 1111 1111 1111"),
    ("IBAN GB82WEST12345698765432.", "iban", "GB82WEST12345698765432"),
    ("FR1420041010050500013M02606", "iban", "FR1420041010050500013M02606"),
    ("GB82 WEST 1234 5698 7654 32", "iban", "GB82 WEST 1234 5698 7654 32"),
    ("from 192.168.1.20 yesterday", "ip", "192.168.1.20"),
    ("host 2001:db8::1 is down", "ip", "2001:db8::1"),
    ("connecting from ::1", "ip", "::1"),
    ("Connect to ::ffff:10.0.0.1 now", "ip", "::ffff:10.0.0.1"),  # one address, not also its IPv4 tail
    ("NAT64: 64:ff9b::198.51.100.1", "ip", "64:ff9b::198.51.100.1"),
    ("card 4111 1111 1111 1111 2026", "card", "4111 1111 1111 1111"),  # the expiry year is not part of it
    ("a@xn--d1acufc.xn--p1ai", "email", "a@xn--d1acufc.xn--p1ai"),  # punycode top-level domain
    ("AT61-1904-3002-3457-3201 EUR", "iban", "AT61-1904-3002-3457-3201"),
])
def test_true_positives(text: str, kind: str, value: str) -> None:
    assert kinds(text) == [(kind, value)]


@pytest.mark.parametrize("text", [
    "4111111111111112",                 # 16 digits that fail Luhn
    "card 5555 5555 5555 4445",         # spaced, fails Luhn
    "GB83WEST12345698765432",           # IBAN with a bad check digit
    "DE88370400440532013000",           # another bad checksum
    "running version 1.2.3.4 now",      # version strings that look like IPs
    "upgrade to v10.0.0.1",
    "support-rag-2.3.1.0",
    "999.1.1.1",                        # octet out of range
    "order #A-12345 on 2026-11-20 for $249.00 (E-404) at 12:30:45",
    "1111111111111111",                 # Luhn-valid but one repeated digit: a placeholder
    "invoice 20261120",                 # 8 digits, no phone shape
    "write to support@localhost or @acme",  # no domain with a top-level part
    "call 555 0132",                    # too few digits for a phone number
    "ts=1733011200123 served",          # Luhn-valid, but an epoch-ms timestamp: no 13-digit card starts with 1
    "listening on :: port 80",          # the unspecified address is nobody's
    "::ffff:256.0.0.1",                 # IPv4 tail out of range
    "AM47212110090000000235698740",     # no such country in the IBAN registry
])
def test_near_misses_stay_quiet(text: str) -> None:
    assert kinds(text) == []


def test_checksums() -> None:
    assert luhn_valid("4012888888881881") and not luhn_valid("4012888888881882")
    assert mod97_valid("NL91ABNA0417164300") and not mod97_valid("NL92ABNA0417164300")


@pytest.mark.parametrize(("kind", "value"), [
    ("email", "jane.doe@example.com"), ("card", "4111111111111111"), ("iban", "GB82WEST12345698765432"),
    ("phone", "+44 20 7946 0958"), ("ip", "192.168.1.20"), ("us_ssn", "123-45-6789"),
])
def test_masks_never_hold_the_value(kind: str, value: str) -> None:
    masked = mask(kind, value)
    assert value not in masked and len(masked) >= 4
    digits = "".join(c for c in masked if c.isdigit())
    assert len(digits) <= 4


def test_national_ids_from_the_runbook_with_checksum() -> None:
    detector = Detector([NationalId(name="member_no", pattern=r"\bM\d{8}\b", checksum="luhn"),
                         NationalId(name="us_ssn", pattern=r"\b\d{3}-\d{2}-\d{4}\b")])
    found = [(k, v) for _, k, v in detector.find("ids M79927398 M79927399 and 123-45-6789")]
    assert found == [("member_no", "M79927398"), ("us_ssn", "123-45-6789")]  # M79927399 fails Luhn


def test_scan_maps_hits_to_rows_with_masked_samples() -> None:
    texts = ["hello", "mail a.b@example.com and c.d@example.org", None, "IBAN DE89370400440532013000", "bye"]
    scan = DETECT.scan("msg", texts, ["r0", "r1", "r2", "r3", "r4"])
    hits = {h.kind: h for h in scan.hits}
    assert scan.rows == [1, 3]
    assert (hits["email"].matches, hits["email"].rows, hits["email"].request_ids) == (2, 1, ["r1"])
    assert hits["iban"].request_ids == ["r3"] and hits["iban"].masked_samples == ["DE** **** **** 00"]
    assert "a.b@example.com" not in str(hits)


def test_every_planted_leak_is_found_and_nothing_else() -> None:
    interactions, _ = simulate_support(date(2026, 11, 21), days=90, per_day=160)
    planted = {v for _, values in PLANTED_PII.values() for v in values}
    texts = interactions["user_message"].tolist()
    leaked = {i for i, t in enumerate(texts) if any(v in t for v in planted)}
    assert len(leaked) > 20
    ids = interactions["request_id"].tolist()
    assert set(DETECT.scan("user_message", texts, ids).rows) == leaked
    assert DETECT.scan("response", interactions["response"].tolist(), ids).rows == []


def test_number_runs_find_what_a_whole_text_search_finds() -> None:
    """Phones, cards and IPv4s are searched inside number runs only: the same matches as over the whole text."""
    interactions, _ = simulate_support(date(2026, 11, 21), days=10, per_day=100)
    edges = ["4111111111111111", "x4111 1111 1111 1111", "+1 (415) 555-0132.", "(415) 555-0132", "415.555.0132-",
             "v10.0.0.1", "10.0.0.1a", "1.2.3.4", "+44 20 7946 0958\n+1 415 555 0132", "5555 5555 5555 4444 2026"]
    text = "\n".join([*interactions["user_message"], *edges, "ends with 192.168.1.1"])
    runs = [m.span() for m in pii._NUMBER_RUN.finditer(text)]
    for name in ("phone", "card", "ipv4"):
        candidates = next(c for n, _, c, _ in pii._PASSES if n == name)
        assert [m.span() for m in candidates(text, runs)] == [m.span() for m in pii._PATTERNS[name].finditer(text)], name


def test_the_scan_imports_nothing_heavy() -> None:
    """A process that only scans (benchmarks/steward_pii.py) starts in the interpreter's time, not pydantic's."""
    probe = "import sys, tasks.compliance.pii; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2]).stdout
    for heavy in ("pydantic", "pandas", "numpy", "prefect", "scipy", "sqlalchemy"):
        assert f"'{heavy}'" not in loaded
