"""Secrets from Prefect blocks on a real Prefect API: the store URL and the Slack token."""

from __future__ import annotations

import uuid

import pytest
from prefect.blocks.system import Secret
from pydantic import SecretStr

from blocks.slack import StewardSlack
from tasks.slack.notifier import slack_config
from tasks.store.database import SecretUnavailable, store_url


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_store_url_from_a_secret_block(prefect_api, monkeypatch, tmp_path) -> None:
    name = unique("steward-store-url")
    Secret(value=f"sqlite:///{tmp_path / 'from-block.db'}").save(name)
    monkeypatch.setenv("STEWARD_STORE_URL_BLOCK", name)
    assert store_url() == f"sqlite:///{tmp_path / 'from-block.db'}"
    monkeypatch.setenv("STEWARD_STORE_URL", "sqlite:///env-wins.db")
    assert store_url() == "sqlite:///env-wins.db"


def test_missing_block_is_one_line(prefect_api, monkeypatch) -> None:
    monkeypatch.setenv("STEWARD_STORE_URL_BLOCK", "no-such-block")
    with pytest.raises(SecretUnavailable, match="no-such-block") as info:
        store_url()
    assert "\n" not in str(info.value)


def test_slack_token_from_secret_block_or_steward_slack_block(prefect_api, monkeypatch) -> None:
    secret = unique("slack-token")
    Secret(value="xoxb-from-secret-block").save(secret)
    monkeypatch.setenv("STEWARD_SLACK_TOKEN_BLOCK", secret)
    config = slack_config()
    assert config is not None and config.bot_token.get_secret_value() == "xoxb-from-secret-block"
    assert "xoxb" not in repr(config)

    monkeypatch.delenv("STEWARD_SLACK_TOKEN_BLOCK")
    app = unique("steward-slack")
    StewardSlack(bot_token=SecretStr("xoxb-from-app-block"), api_url="http://127.0.0.1:9/api/").save(app)
    monkeypatch.setenv("STEWARD_SLACK_BLOCK", app)
    config = slack_config()
    assert config is not None and config.bot_token.get_secret_value() == "xoxb-from-app-block"
    assert config.api_url == "http://127.0.0.1:9/api/"
