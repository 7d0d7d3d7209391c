"""The bottom layer, importing nothing of Steward's: windows and coverage, error kinds, status enums, retries, column profiles, the hash chain."""

__all__ = ["chain", "errors", "imports", "money", "profiles", "retry", "status", "windows"]
