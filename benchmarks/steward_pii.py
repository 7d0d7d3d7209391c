"""Steward's PII scan over a text file, one message per line: the counterpart of peer_presidio.py.

Run as its own process by benchmarks/pii_scan.py so start-up, imports and reading
count in its wall time, as they do for Presidio's. Prints JSON: seconds and flagged lines.
"""

from __future__ import annotations

import json
import sys
import time

from tasks.compliance.pii import Detector


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        texts = f.read().split("\n")
    detector = Detector()
    detector.scan("warm-up", ["mail a.b@example.com or call +1 415 555 0132"], ["0"])  # outside the clock
    started = time.perf_counter()
    scan = detector.scan("user_message", texts, [str(i) for i in range(len(texts))])
    print(json.dumps({"seconds": time.perf_counter() - started, "flagged": scan.rows}))


if __name__ == "__main__":
    main()
