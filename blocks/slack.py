"""Prefect Block types for Steward's configuration that lives in the Prefect server."""

from __future__ import annotations

from prefect.blocks.core import Block
from pydantic import Field, SecretStr


class StewardSlack(Block):
    """The Slack app Steward posts as, and verifies button clicks from.

    Register once with ``prefect block register -m blocks.slack``, then set
    ``STEWARD_SLACK_BLOCK`` to the saved block's name.
    """

    _block_type_name = "Steward Slack"
    _description = "Bot token and signing secret of the Slack app that alerts owners and receives approvals."

    bot_token: SecretStr = Field(description="Bot user OAuth token (xoxb-...).")
    signing_secret: SecretStr | None = Field(default=None, description="Verifies approval button clicks.")
    app_token: SecretStr | None = Field(default=None, description="App-level token (xapp-...) for Socket Mode.")
    api_url: str = Field(default="https://slack.com/api/", description="Web API base URL.")
