from __future__ import annotations

from django.apps import AppConfig


class PlanningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "planning"
    verbose_name = "Portfolio planning"

    def ready(self) -> None:
        from planning import extensions, tasks  # noqa: F401  # tasks registers the what-if's kind of job

        extensions.register()
