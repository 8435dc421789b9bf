from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: roles, errors, links, change notices, jobs, safe output and view helpers."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
