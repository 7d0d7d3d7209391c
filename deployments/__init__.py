"""Running Steward: the CLI, deployments from runbooks (plan, serve, up), the approval receiver, the demo."""

__all__ = ["plan", "receiver", "serve", "server_record", "up", "cli", "demo"]
