from __future__ import annotations

from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alignment"
    verbose_name = "Alignment"

    def ready(self) -> None:
        from alignment import extensions, jobs, worklist
        from core.changes import listen

        listen(jobs.on_portfolio_change)
        extensions.register()
        worklist.register()
