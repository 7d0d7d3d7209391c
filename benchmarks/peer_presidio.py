"""Presidio's predefined pattern recognizers over a text file, one message per line (run in the peers venv).

No AnalyzerEngine and no NLP engine: the recognizers are called directly, which
is Presidio's fastest regex-only path. Prints JSON: seconds and flagged lines.
"""

from __future__ import annotations

import json
import sys
import time

import tldextract
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer, EmailRecognizer, IbanRecognizer, IpRecognizer, PhoneRecognizer,
)

# Offline: the email check's domain parser uses the public-suffix snapshot it ships, never fetching the list.
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
RECOGNIZERS = [EmailRecognizer(), PhoneRecognizer(), CreditCardRecognizer(), IbanRecognizer(), IpRecognizer()]
ENTITIES = [e for r in RECOGNIZERS for e in r.supported_entities]


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        texts = f.read().split("\n")
    for recognizer in RECOGNIZERS:  # warm up outside the clock (the email check loads its suffix snapshot once)
        recognizer.analyze("mail a.b@example.com or call +1 415 555 0132", ENTITIES, None)
    started = time.perf_counter()
    flagged = [i for i, text in enumerate(texts)
               if any(r.analyze(text, ENTITIES, None) for r in RECOGNIZERS)]
    print(json.dumps({"seconds": time.perf_counter() - started, "flagged": flagged}))


if __name__ == "__main__":
    main()
