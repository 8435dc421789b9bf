from __future__ import annotations

from django.apps import AppConfig


class SteeringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "steering"
    verbose_name = "Steering"

    def ready(self) -> None:
        from steering import extensions

        extensions.register()
