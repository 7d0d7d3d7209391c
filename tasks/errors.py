"""Errors a user can fix, by kind: the CLI shows each as one line (exit 2), never a traceback.

Anything that is not a ``StewardError`` is a bug and is reported as an internal error.
"""


class StewardError(Exception):
    """A configuration, input or environment problem; its message names the file, field or value."""


class ConfigError(StewardError):
    """A runbook, flag or environment variable is wrong or missing."""


class DataError(StewardError):
    """The data is not what the runbook says: a missing column, an unreadable file, a value of the wrong type."""


class WindowError(StewardError):
    """A window argument is malformed, reversed, or cannot be judged against the log."""


class Unavailable(StewardError):
    """A service Steward needs (a database, Slack, the Prefect API) did not answer; worth retrying."""
