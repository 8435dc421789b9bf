from __future__ import annotations

from django.apps import AppConfig


class RiskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        from risk import extensions, imports

        extensions.register()
        imports.register_kinds()
