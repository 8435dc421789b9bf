from __future__ import annotations

from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alignment"
    verbose_name = "Alignment"

    def ready(self) -> None:
        from alignment import extensions, services
        from portfolio.changes import listen

        listen(services.on_portfolio_change)
        extensions.register()
