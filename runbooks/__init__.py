"""The bottom beside core: the runbook spec, its loader, the metric catalogue; systems/ and playbooks/."""

__all__ = ["loader", "metrics", "spec"]
