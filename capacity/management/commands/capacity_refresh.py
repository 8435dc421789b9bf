"""Spread every evenly spread effort estimate over its initiative's planned months again and rebuild every
team's change load from the entered data (after a bulk load that told no listener, or to check nothing
drifted)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from capacity import services


class Command(BaseCommand):
    help = "Re-spread the even effort estimates and rebuild the change load of every team."

    def handle(self, *args: Any, **options: Any) -> None:
        spread = services.respread()
        loads = services.loads_refresh()
        self.stdout.write(f"{spread} estimates spread again; {loads} team-months of change load written.")
