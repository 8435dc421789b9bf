"""Break glass: remove one account's second factor from the server's shell, for an admin who lost their phone
and their recovery codes when no other admin can turn it off."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity.models import EventKind
from identity.services import event_record


class Command(BaseCommand):
    help = "Remove an account's second factor (TOTP app and recovery codes); recorded in the audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No account is named {options['username']!r}.")
        with transaction.atomic():
            removed = TOTPDevice.objects.filter(user=user).delete()[0]
            StaticDevice.objects.filter(user=user).delete()
            event_record(kind=EventKind.TWO_FACTOR_OFF, subject=user, detail="from the server's shell")
        if removed:
            self.stdout.write(f"The second factor of {user.get_username()} is off.")
        else:
            self.stdout.write(f"{user.get_username()} had no second factor.")
