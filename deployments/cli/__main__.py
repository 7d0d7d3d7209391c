"""``python -m deployments.cli``."""

from deployments.cli import main

main()
