"""Break glass: a one-time sign-in link for an administrator, made from the server's shell, for when the
identity provider is down or misconfigured (and local passwords are switched off)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from identity.models import EventKind
from identity.services import event_record
from identity.tokens import break_glass_tokens


class Command(BaseCommand):
    help = (
        "Print a one-time link that signs an administrator in without the identity provider or a password "
        "(valid BEARING_BREAK_GLASS_MINUTES, once); recorded in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--create",
            action="store_true",
            help="make the account (an administrator without a password) if there is none of this name",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = options["username"]
        with transaction.atomic():
            user = User.objects.filter(username=username).first()
            if user is None:
                if not options["create"]:
                    raise CommandError(f"No account is named {username!r} (add --create to make it).")
                user = User(username=username, is_superuser=True, is_staff=True)
                user.set_unusable_password()
                user.save()
            if not user.is_active:
                raise CommandError(
                    f"{username} is deactivated: reactivate it first (manage.py shell, or the admin)."
                )
            if not user.is_superuser:
                raise CommandError(
                    f"{username} is not an administrator: a break-glass link is for administrators."
                )
            minutes = settings.BEARING_BREAK_GLASS_MINUTES
            event_record(
                kind=EventKind.BREAK_GLASS_LINK,
                subject=user,
                detail=f"from the server's shell; works once, for {minutes} minutes",
            )
        path = reverse(
            "identity:break-glass",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": break_glass_tokens.make_token(user),
            },
        )
        self.stdout.write(
            f"Open this link within {minutes} minutes to sign in as {user.get_username()} (it works once):\n"
            f"{settings.BEARING_BASE_URL.rstrip('/')}{path}"
        )
