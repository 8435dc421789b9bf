from __future__ import annotations

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """What people and other systems hear: in-app notifications, watching, digests and webhooks, all read
    from core's events outbox."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "events"

    def ready(self) -> None:
        from events import extensions

        extensions.register()
