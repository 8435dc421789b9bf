"""Personal API tokens: create (the plain token is returned once), revoke, and authenticate a request's."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken, TokenScope
from core.errors import ApplicationError, NotAllowed
from core.roles import can_view

PREFIX = "brg_"
MAX_ACTIVE = 20
# last_used_at is written at most this often, so reading through a token costs no write per request
USE_STAMP = datetime.timedelta(minutes=1)


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def token_create(*, user: Any, name: str, scope: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
    """A new token for `user` (who must hold a Bearing role); returns the record and the plain token, which
    is shown once and never stored."""
    if not can_view(user):
        raise NotAllowed("Only people with a Bearing role may create API tokens.")
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Say what the token is for."]
    elif len(name) > 80:
        errors["name"] = ["At most 80 characters."]
    if scope not in TokenScope.values:
        errors["scope"] = ["Read only or read and write."]
    if expires_in_days is not None and not 1 <= expires_in_days <= 3660:
        errors["expires_in_days"] = ["Between 1 and 3,660 days, or never."]
    if errors:
        raise ApplicationError(
            "The token was not created: please correct the errors below.", field_errors=errors
        )
    now = timezone.now()
    with transaction.atomic():
        active = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if sum(1 for t in active if t.expires_at is None or t.expires_at > now) >= MAX_ACTIVE:
            raise ApplicationError(
                f"You have {MAX_ACTIVE} active tokens: revoke one before creating another."
            )
        prefix = secrets.token_hex(4)
        raw = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            digest=digest_of(raw),
            scope=scope,
            expires_at=now + datetime.timedelta(days=expires_in_days) if expires_in_days else None,
        )
    return token, raw


def token_revoke(*, user: Any, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (revoking twice changes nothing)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user_id=user.pk).first()
        if token is None:
            raise ApplicationError("There is no such token of yours.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token `raw` is (its user read with it, in one query), or None: unknown, revoked, expired,
    or its user deactivated."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(raw)).first()
    now = timezone.now()
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
        or not token.user.is_active
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at >= USE_STAMP:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
