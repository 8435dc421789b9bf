"""The risk tests share the portfolio tests' listener isolation and change-notice recorder."""

from __future__ import annotations

from tests.portfolio.conftest import only_test_listeners, recorded_changes

__all__ = ["only_test_listeners", "recorded_changes"]
