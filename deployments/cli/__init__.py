"""The ``steward`` command: validate runbooks, trigger duties by hand, see who must act.

One module per command group; importing a group registers its commands on ``app`` (in help order).
``main`` imports only the group of the command being run (``steward drift`` is timed whole-process,
and the other groups' imports cost more than its start-up otherwise does); help, or a name it does
not know, imports every group.
Exit codes: 0 healthy; 1 findings that need attention; 2 a usage, configuration, data or
window error (a ``StewardError``: one line on stderr, never a traceback); 70 (EX_SOFTWARE) an
internal error, that is a bug: one line naming the exception, and its traceback only when
``STEWARD_DEBUG=1``.
"""

from deployments.cli.app import QUIET_PREFECT, app
from deployments.cli.main import COMMANDS, GROUPS, main, register

__all__ = ["COMMANDS", "GROUPS", "QUIET_PREFECT", "app", "main", "register"]
