"""Debian's headless Chromium for the tests that look at what a person sees: skipped where it is not
installed, a failure under CI (which must run them)."""

from __future__ import annotations

import os
import shutil

import pytest


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI requires the browser test", pytrace=False)
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return found
