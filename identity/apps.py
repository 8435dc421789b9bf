from __future__ import annotations

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Who may sign in and how: accounts managed by admins, invitations, sessions and their time-outs, and the
    audit log of sign-ins and role changes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "identity"

    def ready(self) -> None:
        from identity import receivers

        receivers.connect()
