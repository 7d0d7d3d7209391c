"""Steward's PII detector against Presidio's own recognizer test cases, plus properties of two hard classes.

tests/data/presidio_cases.json is a copy of ../shared/conformance/presidio_cases.json (the labelled
parametrize lists of Presidio's predefined recognizers' tests; the commit they came from is in its
"source"). A case agrees when Steward finds between ``min_len`` (Presidio's expected count less the
matches Presidio itself scores near zero, such as the unspecified IPv6 "::") and ``expected_len``
entities of that kind in the text.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbooks.loader import load_runbook
from tasks.compliance.pii import Detector, luhn_valid

REPO = Path(__file__).resolve().parents[2]
CASES_FILE = REPO / "tests" / "data" / "presidio_cases.json"
KIND = {"email": "email", "credit_card": "card", "iban": "iban", "ip": "ip", "phone": "phone", "us_ssn": "us_ssn"}
ASSERTED = ("email", "credit_card", "iban", "ip")  # phone and us_ssn are reported, not asserted
SUPPORT = load_runbook(REPO / "runbooks" / "systems" / "support-assistant.yaml")
DETECT = Detector(SUPPORT.compliance.national_ids)  # us_ssn is a runbook national id, not a built-in kind


def _cases() -> dict:
    return json.loads(CASES_FILE.read_text(encoding="utf-8"))


def _agrees(case: dict) -> bool:
    found = sum(kind == KIND[case["entity"]] for _, kind, _ in DETECT.find(case["text"]))
    return case["min_len"] <= found <= case["expected_len"]


def agreement() -> dict[str, tuple[int, int]]:
    """(agreeing cases, cases) per Presidio entity."""
    total, agreeing = Counter(), Counter()
    for case in _cases()["cases"]:
        total[case["entity"]] += 1
        agreeing[case["entity"]] += _agrees(case)
    return {entity: (agreeing[entity], total[entity]) for entity in total}


def test_the_copy_is_the_shared_file_with_its_provenance() -> None:
    source = _cases()["source"]
    assert source["repo"] == "microsoft/presidio" and len(source["commit"]) == 40
    shared = REPO.parent / "shared" / "conformance" / "presidio_cases.json"
    if shared.exists():  # next to a development checkout; CI clones the repo alone
        assert json.loads(shared.read_text(encoding="utf-8")) == _cases()


def test_agreement_with_presidio_cases() -> None:
    scores = agreement()
    assert set(scores) == set(KIND)
    for entity, (agreeing, total) in sorted(scores.items()):
        print(f"{entity:<12} {agreeing}/{total} = {agreeing / total:.1%}")
    for entity in ASSERTED:
        agreeing, total = scores[entity]
        misses = [c["text"] for c in _cases()["cases"] if c["entity"] == entity and not _agrees(c)]
        assert agreeing / total >= 0.99, (entity, misses)


# --- properties ----------------------------------------------------------------------------------------------

# Epoch milliseconds of 2001-09-09 (the first 13-digit value) to 2096-10-02 (the last one before 4xxx, Visa's).
EPOCH_MS = st.integers(min_value=10**12, max_value=4 * 10**12 - 1)
LOG_LINE = st.sampled_from([
    "ts={} level=INFO msg=ok", "[{}] request served", "{} GET /v1/answer 200", "event at {}ms", "{},{},",
])


@settings(max_examples=300, deadline=None)
@given(EPOCH_MS, LOG_LINE)
def test_epoch_millisecond_timestamps_are_never_cards(stamp: int, line: str) -> None:
    text = line.format(stamp, stamp)
    assert "card" not in {kind for _, kind, _ in DETECT.find(text)}


def test_the_timestamp_property_is_not_vacuous() -> None:
    """Luhn alone would call about one timestamp in ten a card; the issuer lengths are what keep them quiet."""
    assert luhn_valid("1733011200123") and luhn_valid("1748503543012")
    assert [k for _, k, _ in DETECT.find("ts=1733011200123 card 4222222222222")] == ["card"]  # 13-digit Visa


def _with_check_digits(country: str, bban: str) -> str:
    rearranged = "".join(str(int(ch, 36)) for ch in bban + country) + "00"
    return f"{country}{98 - int(rearranged) % 97:02d}{bban}"


# (country, BBAN length, BBAN alphabet): digits only, or a bank code of letters then digits.
IBAN_FORMATS = [("DE", 18, "digits"), ("FR", 23, "digits"), ("NL", 14, "bank"), ("GB", 18, "bank"),
                ("ES", 20, "digits"), ("IT", 23, "bank"), ("BE", 12, "digits"), ("AT", 16, "digits")]


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country, length, alphabet = draw(st.sampled_from(IBAN_FORMATS))
    letters = 4 if alphabet == "bank" else 0
    bban = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=letters, max_size=letters))
    bban += draw(st.text("0123456789", min_size=length - letters, max_size=length - letters))
    iban = _with_check_digits(country, bban)
    if draw(st.booleans()):  # the printed form: groups of four
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


@settings(max_examples=300, deadline=None)
@given(ibans(), st.sampled_from([" EUR", " USD", " GBP", " X", " ok", " to", " paid", ".", ""]),
       st.sampled_from(["", "IBAN ", "pay to "]))
def test_an_iban_before_a_currency_or_short_word_is_found_once_and_never_as_a_card(
    iban: str, after: str, before: str,
) -> None:
    found = [(kind, value) for _, kind, value in DETECT.find(f"{before}{iban}{after} please")]
    assert found == [("iban", iban)]


@pytest.mark.parametrize(("text", "iban"), [
    ("ES91 2100 0418 4502 0005 1332 EUR", "ES91 2100 0418 4502 0005 1332"),  # was missed: EUR read as its end
    ("AT61 1904 3002 3457 3201 ok", "AT61 1904 3002 3457 3201"),  # was missed, and its digits taken for a card
    ("DE44 5001 0517 5407 3249 31", "DE44 5001 0517 5407 3249 31"),  # was found, and its digits as a card too
])
def test_ibans_that_used_to_be_missed_or_doubled(text: str, iban: str) -> None:
    assert [(kind, value) for _, kind, value in DETECT.find(text)] == [("iban", iban)]
