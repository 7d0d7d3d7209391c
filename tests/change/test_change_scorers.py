"""The scorers, the configuration grammar and the gate, on hand-made inputs; the semantic scorer offline."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbooks.spec import EvaluationSection, JudgeConfig, OutputCheck
from tasks.change.data import ChangeConfigError, LlmConfig, Reply, mask_pii
from tasks.change.scorers import ESCALATION, judge_scores, run_check, score_answers
from tasks.change.verdict import judge_change
from tasks.compliance.pii import Detector

PAIRS = [line.split("\t") for line in (Path(__file__).parent.parent / "data" / "paraphrases.tsv").read_text().splitlines()]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test: the model must load from the installed package."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_semantic_scorer_offline_ranks_paraphrases_above_unrelated_answers(no_network) -> None:
    from tasks.change import embedding
    from tasks.change.scorers import similarity

    embedding.model.cache_clear()
    assert len(PAIRS) >= 50
    references = [r for r, _ in PAIRS]
    paraphrases = [p for _, p in PAIRS]
    unrelated = [PAIRS[(i + len(PAIRS) // 2) % len(PAIRS)][1] for i in range(len(PAIRS))]
    close = similarity(paraphrases, references)
    far = similarity(unrelated, references)
    assert (close > far).all(), [PAIRS[i] for i in np.flatnonzero(close <= far)]
    assert close.mean() > 0.6 > far.mean()


def test_numpy_encoder_matches_sentence_transformers_reference_value(no_network) -> None:
    """0.82187 is what sentence-transformers (torch) gives for this pair with the same packaged weights."""
    from tasks.change.scorers import similarity

    value = similarity(["You can download every invoice under Settings > Billing > Invoices."],
                       ["All your invoices can be downloaded from Settings, Billing, Invoices."])[0]
    assert value == pytest.approx(0.82187587, abs=1e-4)


@pytest.mark.parametrize(("kind", "value", "schema", "text", "passed"), [
    ("contains", "Settings", None, "Go to Settings > Billing", True),
    ("contains", "Settings", None, "Go to billing", False),
    ("not_contains", "INTERNAL", None, "INTERNAL note: refund", False),
    ("regex", r"^\S", None, " leading space", False),
    ("max_length", 10, None, "short", True),
    ("max_length", 3, None, "too long", False),
    ("json_schema", None, {"type": "object", "required": ["answer"]}, '{"answer": "yes"}', True),
    ("json_schema", None, {"type": "object", "required": ["answer"]}, '{"reply": "yes"}', False),
    ("json_schema", None, {"type": "object"}, "not json", False),
])
def test_deterministic_checks(kind, value, schema, text, passed) -> None:
    check = OutputCheck.model_validate({"name": "c", "kind": kind, "value": value, "schema": schema})
    assert run_check(check, text) is passed


def test_escalation_and_refusal_are_detected() -> None:
    assert ESCALATION.search("Of course, I'm handing you over to one of our support agents now.")
    assert ESCALATION.search("Sorry, I can't help with that.")
    assert not ESCALATION.search("You can change your email address under Settings > Profile.")


@given(st.sampled_from(["jane.doe@example.com", "4111111111111111", "GB82WEST12345698765432"]), st.text(max_size=30))
def test_masking_never_keeps_the_raw_value(value: str, around: str) -> None:
    masked = mask_pii(f"{around} {value} {around}", Detector())
    assert value not in masked


def test_candidate_grammar() -> None:
    base = LlmConfig(prompt="support-v3", model="gpt-4o-mini", routes={"technical": {"model": "gpt-4o"}})
    assert base.changed(["model=gpt-4o-mini"]) == LlmConfig(prompt="support-v3", model="gpt-4o-mini")
    assert base.changed(["prompt=support-v4"]).resolve("technical") == ("support-v4", "gpt-4o")
    assert base.changed(["smalltalk.model=gpt-4o,prompt=support-v4"]).resolve("smalltalk") == ("support-v4", "gpt-4o")
    with pytest.raises(ChangeConfigError, match="--candidate 'temperature=0'"):
        base.changed(["temperature=0"])


def _scores(section, texts, route="billing"):
    examples = [{"request_id": str(i), "route": route, "outcome": "escalated", "input_text": "q", "reference": "r"}
                for i in range(len(texts))]
    replies = [Reply(text=t, tokens_in=1000, tokens_out=100, latency_ms=500) for t in texts]
    return examples, score_answers(section, examples, replies, ["gpt-4o-mini"] * len(texts), {}, Detector())


def test_gate_blocks_pii_in_answers_even_when_quality_is_equal() -> None:
    section = EvaluationSection(responder="m:f", semantic=False, checks=[])
    examples, before = _scores(section, ["You can change it under Settings."] * 30)
    _, after = _scores(section, ["You can change it under Settings. Mail jane.doe@example.com."] * 30)
    verdict = judge_change(section, examples, before, after, {"billing": 1000.0})
    assert not verdict.passed and verdict.label == "blocked"
    assert after[0].pii == ["email: j***@***.com"] and before[0].cost == pytest.approx(0.00021)


def test_gate_excuses_a_drop_sampling_noise_explains_and_blocks_a_sure_one() -> None:
    section = EvaluationSection(responder="m:f", semantic=False, tolerance=0.05,
                                checks=[OutputCheck(name="short", kind="max_length", value=20)])
    ok, bad = "Short answer.", "A much longer answer than allowed."
    examples, before = _scores(section, [ok] * 40)
    _, noisy = _scores(section, [bad] * 3 + [ok] * 37)  # 7.5% worse, but 3 examples of 40
    assert judge_change(section, examples, before, noisy, {}).passed
    _, sure = _scores(section, [bad] * 20 + [ok] * 20)
    verdict = judge_change(section, examples, before, sure, {})
    assert not verdict.passed and verdict.label == "worse"


def test_llm_judge_against_a_loopback_fake() -> None:
    seen = []

    class Fake(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            import json

            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body["model"], self.headers.get("Authorization")))
            score = "9" if "Settings" in body["messages"][0]["content"].split("ANSWER:")[1] else "2"
            payload = json.dumps({"choices": [{"message": {"content": score}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = JudgeConfig(enabled=True, url=f"http://127.0.0.1:{server.server_port}/v1", model="judge-1")
        scores = judge_scores(config, ["q", "q"], ["Go to Settings.", "Go to Settings."],
                              ["It is under Settings.", "No idea."])
    finally:
        server.shutdown()
    assert scores == [0.9, 0.2]
    assert seen[0][:2] == ("/v1/chat/completions", "judge-1") and seen[0][2] is None
