"""The shared cap on finding lists: a bounded report whatever the log brings."""

from tasks.common.findings import Finding, cap_findings


def _findings(n: int, kind: str = "cost:new_route") -> list[Finding]:
    return [Finding(key=f"{kind}:{i}", severity="warning", title=f"route {i}") for i in range(n)]


def test_short_lists_are_kept_whole():
    findings = _findings(20)
    assert cap_findings(findings) == findings


def test_long_lists_keep_the_first_and_summarise_the_rest():
    capped = cap_findings(_findings(10_000))
    assert len(capped) == 21
    assert [f.key for f in capped[:20]] == [f"cost:new_route:{i}" for i in range(20)]
    summary = capped[-1]
    assert summary.key == "cost:new_route:more"
    assert summary.severity == "info"
    assert summary.evidence == {"count": 9_980, "by_severity": {"warning": 9_980}}
    assert "9980 more findings" in summary.title


def test_mixed_keys_share_no_prefix():
    mixed = [*_findings(2, "a"), *_findings(2, "b")]
    assert cap_findings(mixed, limit=1)[-1].key == "more:more"
    assert cap_findings(mixed, limit=2)[-1].key == "b:more"
