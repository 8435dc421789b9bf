from __future__ import annotations

from django.apps import AppConfig


class CapacityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "capacity"
    verbose_name = "Capacity"

    def ready(self) -> None:
        from capacity import extensions, imports

        extensions.register()
        imports.register_kinds()
