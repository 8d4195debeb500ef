"""Fixtures for the security tests.

The Chromium fixtures of tests/browser/conftest.py, made visible here (a conftest's fixtures
reach only its own folder): the privacy test drives a whole consultation in real browsers.
"""

from __future__ import annotations

from tests.browser.conftest import (
    camera_files,
    clinician_browser,
    guest_browser,
    playwright,
)

__all__ = ["camera_files", "clinician_browser", "guest_browser", "playwright"]
