"""The ``steward`` command: validate runbooks, trigger duties by hand, see who must act.

One module per command group; importing a group registers its commands on ``app`` (in help order).
Exit codes: 0 healthy; 1 findings that need attention; 2 a usage, configuration, data or
window error (a ``StewardError``: one line on stderr, never a traceback); 70 (EX_SOFTWARE) an
internal error, that is a bug: one line naming the exception, and its traceback only when
``STEWARD_DEBUG=1``.
"""

# isort: off
from deployments.cli import runbooks, duties, alerts, drift, serving, models, compliance, change, report, demo  # noqa: F401 - registers commands
# isort: on
from deployments.cli.app import QUIET_PREFECT, app
from deployments.cli.main import main

__all__ = ["QUIET_PREFECT", "app", "main"]
