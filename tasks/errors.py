"""The one base class of errors a user can fix: the CLI shows them as one line, never a traceback."""


class StewardError(Exception):
    """A configuration, input or environment problem; its message names the file, field or value."""
