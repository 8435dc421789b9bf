"""The scoring policy in force, and the version a score was computed under."""

from __future__ import annotations

import logging

from alignment.engine.policy import DEFAULT_POLICY, Policy
from alignment.models import (
    ScoringPolicy,
)

log = logging.getLogger(__name__)


def current_policy() -> Policy:
    """The newest scoring policy version (the defaults when none is stored)."""
    row = ScoringPolicy.objects.order_by("-version").first()
    return row.policy() if row else DEFAULT_POLICY


def policy_version(version: int) -> Policy:
    """The policy a score was computed under (the current one if that version is gone)."""
    row = ScoringPolicy.objects.filter(version=version).first()
    return row.policy() if row else current_policy()
