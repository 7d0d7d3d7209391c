"""The cost review's model and template recommendations name the change review that would test them."""

from __future__ import annotations

from tasks.cost.savings import Recommendation
from tasks.cost.verdict import change_review_command
from tasks.slack.summary import CHANGE_REVIEW, summary_blocks


def test_route_and_template_recommendations_name_their_change_review() -> None:
    route = Recommendation(key="costly-model-on-easy:smalltalk", title="t", monthly_saving=3.0,
                           evidence={"route": "smalltalk", "cheaper_model": "gpt-4o-mini"})
    bloat = Recommendation(key="prompt-bloat:support-v3:billing", title="t", monthly_saving=9.0,
                           evidence={"route": "billing", "template": "support-v3"})
    cache = Recommendation(key="prompt-caching:billing:gpt-4o", title="t", monthly_saving=1.0, evidence={})
    assert change_review_command("support-assistant", route) == (
        "steward run change-review support-assistant --candidate smalltalk.model=gpt-4o-mini")
    assert change_review_command("support-assistant", bloat) == (
        "steward run change-review support-assistant --candidate billing.prompt=TRIMMED-support-v3")
    assert change_review_command("support-assistant", cache) is None


def test_summary_offers_each_command_as_a_button() -> None:
    command = "steward run change-review support-assistant --candidate smalltalk.model=gpt-4o-mini"
    blocks = summary_blocks("Cost review", ["line"], None, [command])
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert actions["block_id"] == CHANGE_REVIEW
    assert actions["elements"][0]["value"] == command
    assert actions["elements"][0]["text"]["text"] == "Test: smalltalk.model=gpt-4o-mini"
    assert not [b for b in summary_blocks("Cost review", ["line"], None) if b["type"] == "actions"]
