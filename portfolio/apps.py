from __future__ import annotations

from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portfolio"
    verbose_name = "Portfolio"

    def ready(self) -> None:
        from portfolio import kinds, sections, worklist

        sections.register_sections()
        kinds.register_kinds()
        worklist.register_checks()
