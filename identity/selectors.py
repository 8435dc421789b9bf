"""Reads for the account pages and the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from core import roles
from identity.models import AuditEvent, SignInSession

User = get_user_model()


def account_list(*, search: str = "", status: str = "", role: str = "") -> QuerySet[Any]:
    """Accounts matching a search of username, name and e-mail, a status and a role, by username."""
    rows = User.objects.all()
    if search:
        words = search.split()[:5]
        for word in words:
            rows = rows.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
    if status == "active":
        rows = rows.filter(is_active=True).exclude(last_login__isnull=True, password__startswith="!")
    elif status == "invited":
        rows = rows.filter(last_login__isnull=True, password__startswith="!")
    elif status == "deactivated":
        rows = rows.filter(is_active=False)
    if role == roles.ADMIN:
        rows = rows.filter(Q(is_superuser=True) | Q(groups__name=roles.ADMIN)).distinct()
    elif role == "none":
        rows = rows.filter(is_superuser=False).exclude(groups__name__in=roles.ALL_ROLES)
    elif role:
        rows = rows.filter(groups__name=role).distinct()
    return rows.order_by("username", "pk")


def audit_list(*, search: str = "", kind: str = "") -> QuerySet[AuditEvent]:
    """The audit log, newest first, by event kind and the account's username (as typed, for failed
    sign-ins)."""
    rows = AuditEvent.objects.select_related("subject", "actor")
    if kind:
        rows = rows.filter(kind=kind)
    if search:
        rows = rows.filter(username__istartswith=search.strip())
    return rows.newest_first()


def account_events(user: Any, *, limit: int = 20) -> list[AuditEvent]:
    """The latest events about one account."""
    return list(AuditEvent.objects.filter(subject=user).select_related("actor").newest_first()[:limit])


def sessions_of(user: Any, *, limit: int = 50) -> list[SignInSession]:
    """A user's signed-in browsers, most recently used first."""
    return list(SignInSession.objects.filter(user=user).order_by("-last_seen_at", "-pk")[:limit])
