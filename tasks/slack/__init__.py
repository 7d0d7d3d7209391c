"""Telling people in Slack: alerts, duty summaries, and a loopback fake of the Web API."""

__all__ = ["fake", "notifier", "summary"]
