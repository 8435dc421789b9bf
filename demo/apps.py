from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and scale data, benchmarks and the smoke check (management commands only; no models)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "Demo"
