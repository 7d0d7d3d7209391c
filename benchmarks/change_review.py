"""A change review of 500 golden examples with the offline scorers: examples per second and time per scorer.

    python benchmarks/change_review.py [--examples 500]

Simulates the demo log (a fifth of its traffic), builds support-assistant's golden set of N examples (PII
masked), then runs champion and candidate (``prompt=support-v4``) through the demo's responder and every
offline scorer (checks, semantic similarity, escalation, PII, cost), and the gate. Target: under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=500)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    os.environ["STEWARD_HOME"] = str(home)
    from deployments.demo.simulator import write_demo_database

    write_demo_database(f"sqlite:///{home / 'demo.db'}", end=date(2026, 11, 21), days=60, scale=0.2)
    from flows.change_review import monthly_calls, recent_window
    from runbooks.loader import load_catalog
    from tasks.change.data import LlmConfig, answer_all, build_golden, load_responder, read_serving
    from tasks.change.scorers import Timings, score_answers
    from tasks.change.verdict import judge_change
    from tasks.compliance.pii import Detector
    from tasks.store.database import open_store
    from tasks.store.golden import current_interactions

    spec = load_catalog().get("support-assistant")
    assert spec.evaluation
    window = recent_window(spec)
    build_golden(spec, window, args.examples, actor="benchmark", reason="benchmark")
    with open_store().session() as session:
        examples = [{"request_id": r.request_id, "route": r.route, "outcome": r.outcome, "input_text": r.input_text,
                     "reference": r.reference} for r in current_interactions(session, spec.system)]
    champion = read_serving(spec, window)
    candidate: LlmConfig = champion.changed(["prompt=support-v4"])
    responder, detector, timings = load_responder(spec.evaluation.responder), Detector(), Timings()
    started = time.perf_counter()
    scores = []
    for config in (champion, candidate):
        t = time.perf_counter()
        replies = answer_all(responder, examples, config)
        timings.add("responder", t)
        models = [config.resolve(e["route"])[1] for e in examples]
        scores.append(score_answers(spec.evaluation, examples, replies, models, spec.cost.prices if spec.cost else {},
                                    detector, timings))
    t = time.perf_counter()
    verdict = judge_change(spec.evaluation, examples, scores[0], scores[1], monthly_calls(spec, window))
    timings.add("gate (paired bootstrap)", t)
    elapsed = time.perf_counter() - started
    print(f"{len(examples)} golden examples, champion and candidate: {elapsed:.1f} s "
          f"({len(examples) / elapsed:.1f} examples per second), verdict {verdict.label}")
    for name, seconds in sorted(timings.seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<26} {seconds:7.2f} s")
    print(f"{'PASS' if elapsed < 60 else 'SLOW'}: target under 60 s on 2 cores")


if __name__ == "__main__":
    main()
