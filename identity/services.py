"""Account management and the audit log: inviting people, their roles, deactivating them, and the sign-ins,
failed sign-ins and sign-outs that the audit log records. Every change an admin makes is checked here as well
as in the view, and recorded in the same transaction as the change."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core import roles
from core.client_ip import client_ip
from core.errors import ApplicationError, NotAllowed
from core.sign_in import local_passwords_on, provider_button_label
from identity import role_map
from identity.models import AuditEvent, EventKind, SignInSession
from identity.tokens import invitation_tokens

User = get_user_model()

ADMIN_ONLY = "Only an administrator manages accounts."
# The roles held as groups; Admin is the superuser flag (core.roles.roles_of reads both).
GROUP_ROLES = (roles.EXECUTIVE, roles.PMO, roles.MANAGER, roles.STEERING)
SESSION_KEY = "identity_session"
USER_AGENT_LENGTH = 300


# ------------------------------------------------------------------------------------------------ audit log


def event_record(
    *,
    kind: EventKind,
    subject: Any = None,
    actor: Any = None,
    username: str = "",
    request: HttpRequest | None = None,
    detail: str = "",
) -> AuditEvent:
    """Add one event to the audit log. `username` defaults to the subject's (a failed sign-in has only the
    name that was typed)."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        kind=kind,
        subject=subject,
        actor=actor,
        username=(username or (subject.get_username() if subject is not None else ""))[:150],
        ip_address=client_ip(request) if request is not None else None,
        detail=detail[:500],
    )


# --------------------------------------------------------------------------------------------------- sessions


def _session_key(request: HttpRequest) -> str:
    """The key of the request's session, saving the session first if it has none yet (login() may have just
    flushed it)."""
    if request.session.session_key is None:
        request.session.save()
    return str(request.session.session_key)


def session_start(
    *, request: HttpRequest, user: Any, announce: bool = True, detail: str = ""
) -> SignInSession:
    """A sign-in: record the browser's session, keep when it started in the session itself (the time-outs
    read it there, at no cost to a request) and log the sign-in (unless not `announce`: a session signed in
    before sessions were recorded)."""
    now = timezone.now()
    key = _session_key(request)
    signed_in, _ = SignInSession.objects.update_or_create(
        key=key,
        defaults={
            "user": user,
            "started_at": now,
            "last_seen_at": now,
            "ip_address": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        },
    )
    request.session[SESSION_KEY] = {"key": key, "started": now.timestamp(), "seen": now.timestamp()}
    if announce:
        event_record(kind=EventKind.SIGN_IN, subject=user, actor=user, request=request, detail=detail)
    return signed_in


def session_end(*, request: HttpRequest, user: Any, kind: EventKind | None = EventKind.SIGN_OUT) -> None:
    """A sign-out (or, with `kind`, a time-out) of this browser only; `kind` None records nothing (the
    session was already ended elsewhere, and that was recorded)."""
    state = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    keys = {request.session.session_key} if hasattr(request, "session") else set()
    if isinstance(state, dict):
        keys.add(state.get("key"))
    keys.discard(None)
    if keys:
        SignInSession.objects.filter(key__in=keys).delete()
    if kind is not None and user is not None and getattr(user, "pk", None) is not None:
        event_record(kind=kind, subject=user, actor=user, request=request)


def session_rekeyed(*, request: HttpRequest, old_key: str) -> None:
    """The session's key changed (a password change cycles it): the record follows it."""
    key = _session_key(request)
    SignInSession.objects.filter(key=old_key).update(key=key)
    request.session[SESSION_KEY] = {**request.session[SESSION_KEY], "key": key}


def session_seen(*, request: HttpRequest, now: datetime.datetime) -> None:
    """The session was used: its idle clock starts again (written at most once a minute)."""
    state = request.session[SESSION_KEY]
    request.session[SESSION_KEY] = {**state, "seen": now.timestamp()}
    SignInSession.objects.filter(key=state["key"]).update(last_seen_at=now)


def _end_sessions(user: Any) -> int:
    """Delete every recorded session of `user` from the session store (their next request is signed out,
    whichever browser it comes from) and from the records."""
    engine = import_module(settings.SESSION_ENGINE)
    keys = list(SignInSession.objects.filter(user=user).values_list("key", flat=True))
    for key in keys:
        engine.SessionStore(session_key=key).delete()
    SignInSession.objects.filter(user=user).delete()
    return len(keys)


def sessions_end_all(*, user: Any, actor: Any, request: HttpRequest | None = None) -> int:
    """Sign `user` out of every browser at once. Returns how many sessions were ended."""
    if actor.pk != user.pk and not roles.can_administer(actor):
        raise NotAllowed(ADMIN_ONLY)
    with transaction.atomic():
        ended = _end_sessions(user)
        detail = f"{ended} session{'' if ended == 1 else 's'} ended"
        event_record(
            kind=EventKind.SIGNED_OUT_EVERYWHERE, subject=user, actor=actor, request=request, detail=detail
        )
    return ended


# --------------------------------------------------------------------------------------------------- accounts


def roles_held(user: Any) -> set[str]:
    """The Bearing roles an account holds, active or not (core.roles.roles_of gives none to an inactive one)."""
    held = {group.name for group in user.groups.all()} & set(roles.ALL_ROLES)
    if user.is_superuser:
        held.add(roles.ADMIN)
    return held


def role_list(names: Iterable[str]) -> str:
    ordered = [name for name in roles.ALL_ROLES if name in set(names)]
    return ", ".join(ordered) or "no role"


def _require_admin(actor: Any) -> None:
    if not roles.can_administer(actor):
        raise NotAllowed(ADMIN_ONLY)


def _locked_account(user_id: int) -> AbstractUser:
    found = User.objects.select_for_update().filter(pk=user_id).first()
    if found is None:
        raise ApplicationError("This account no longer exists.")
    return found  # type: ignore[return-value]


def _apply_roles(user: AbstractUser, wanted: set[str]) -> None:
    groups = [Group.objects.get_or_create(name=name)[0] for name in GROUP_ROLES if name in wanted]
    keep = user.groups.exclude(name__in=roles.ALL_ROLES)  # groups that are no Bearing role stay as they are
    user.groups.set([*keep, *groups])
    user.is_superuser = roles.ADMIN in wanted
    user.is_staff = roles.ADMIN in wanted
    user.save(update_fields=["is_superuser", "is_staff"])


def account_invite(
    *,
    actor: Any,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    role_names: Iterable[str],
    request: HttpRequest | None = None,
) -> AbstractUser:
    """Create an account with no password and the given roles, and e-mail its holder a one-time link to
    choose one (sent once the account is saved)."""
    _require_admin(actor)
    wanted = set(role_names) & set(roles.ALL_ROLES)
    errors: dict[str, list[str]] = {}
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["An account with this username already exists."]
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = ["An account with this e-mail address already exists."]
    if errors:
        raise ApplicationError("The invitation was not sent.", field_errors=errors)
    with transaction.atomic(durable=True):
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
        _apply_roles(user, wanted)
        event_record(
            kind=EventKind.INVITED,
            subject=user,
            actor=actor,
            request=request,
            detail=f"Roles: {role_list(wanted)}",
        )
        transaction.on_commit(lambda: invitation_send(user))
    return user


def invitation_link(user: Any) -> str:
    """The one-time link that lets an invited person choose their password, on Bearing's own address."""
    path = reverse(
        "identity:invitation-accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return settings.BEARING_BASE_URL.rstrip("/") + path


def invitation_send(user: Any) -> None:
    """The invitation: a link to choose a password, or, with local passwords off, to sign in through the
    identity provider."""
    passwords = local_passwords_on()
    login = settings.BEARING_BASE_URL.rstrip("/") + reverse("login")
    context = {
        "user": user,
        "link": invitation_link(user) if passwords else login,
        "days": settings.BEARING_INVITATION_DAYS,
        "passwords": passwords,
        "provider": provider_button_label(),
    }
    send_mail(
        subject="You are invited to Bearing",
        message=render_to_string("identity/invitation_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def invitation_pending(user: Any) -> bool:
    """Invited and not yet accepted: no password chosen and never signed in."""
    return user.last_login is None and not user.has_usable_password()


def invitation_resend(*, actor: Any, user_id: int, request: HttpRequest | None = None) -> AbstractUser:
    """Send a pending invitation again; the links sent before stop working."""
    _require_admin(actor)
    with transaction.atomic(durable=True):
        user = _locked_account(user_id)
        if not invitation_pending(user):
            raise ApplicationError(f"{user.get_username()} has already accepted their invitation.")
        if not user.is_active:
            raise ApplicationError(f"{user.get_username()} is deactivated: reactivate the account first.")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        event_record(kind=EventKind.INVITED, subject=user, actor=actor, request=request, detail="Sent again")
        transaction.on_commit(lambda: invitation_send(user))
    return user


def invitation_accepted(*, user: Any, request: HttpRequest | None = None) -> None:
    event_record(kind=EventKind.INVITATION_ACCEPTED, subject=user, actor=user, request=request)


def account_set_roles(
    *, actor: Any, user_id: int, role_names: Iterable[str], request: HttpRequest | None = None
) -> AbstractUser:
    """Give an account exactly these roles, and log the change (old -> new). An admin cannot take the Admin
    role from themself, so Bearing always keeps one administrator."""
    _require_admin(actor)
    wanted = set(role_names) & set(roles.ALL_ROLES)
    with transaction.atomic(durable=True):
        user = _locked_account(user_id)
        before = roles_held(user)
        if user.pk == actor.pk and roles.ADMIN not in wanted:
            raise ApplicationError(
                "You cannot take the Admin role from yourself; ask another administrator.",
                field_errors={"roles": ["Keep Admin: you cannot take it from yourself."]},
            )
        if before == wanted:
            return user
        _apply_roles(user, wanted)
        event_record(
            kind=EventKind.ROLES_CHANGED,
            subject=user,
            actor=actor,
            request=request,
            detail=f"{role_list(before)} → {role_list(wanted)}",
        )
    return user


def account_deactivate(*, actor: Any, user_id: int, request: HttpRequest | None = None) -> AbstractUser:
    """The account can no longer sign in, and every session of it ends now; its records keep its name."""
    _require_admin(actor)
    with transaction.atomic(durable=True):
        user = _locked_account(user_id)
        if user.pk == actor.pk:
            raise ApplicationError("You cannot deactivate your own account.")
        if not user.is_active:
            return user
        user.is_active = False
        user.save(update_fields=["is_active"])
        account_sessions_ended_on_deactivation(user=user, actor=actor, request=request)
    return user


def account_sessions_ended_on_deactivation(
    *, user: Any, actor: Any, request: HttpRequest | None = None, where: str = ""
) -> None:
    """An account just deactivated (here, or in the admin): every session of it ends now, and the log says
    so."""
    ended = _end_sessions(user)
    detail = f"{ended} session{'' if ended == 1 else 's'} ended{where}"
    event_record(kind=EventKind.DEACTIVATED, subject=user, actor=actor, request=request, detail=detail)


def account_signed_in_by_provider(
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    groups: object,
    rule: dict[str, tuple[str, ...]],
    request: HttpRequest | None = None,
) -> AbstractUser:
    """The identity provider vouched for `username`: its account is made at the first sign-in (no password),
    its name and e-mail follow the provider's, and the roles that the provider's `rule` (BEARING_OIDC_ROLE_MAP
    or BEARING_SAML_ROLE_MAP) names follow its groups (given when they are in them, taken when they are not);
    roles the rule does not name stay as admins set them in Bearing. A role change is logged with the old and
    new roles."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if user is None:
            user = User(username=username)
            user.set_unusable_password()
        for field, value in (
            ("email", email),
            ("first_name", first_name[:150]),
            ("last_name", last_name[:150]),
        ):
            if value:
                setattr(user, field, value)
        user.save()
        if created:
            event_record(
                kind=EventKind.CREATED_BY_PROVIDER,
                subject=user,
                request=request,
                detail="by the identity provider",
            )
        before = roles_held(user)
        wanted = (before - set(rule)) | role_map.roles_from_groups(rule, groups)
        if wanted != before:
            _apply_roles(user, wanted)
            event_record(
                kind=EventKind.ROLES_CHANGED,
                subject=user,
                request=request,
                detail=f"{role_list(before)} → {role_list(wanted)} (the identity provider's groups)",
            )
    return user  # type: ignore[return-value]


def account_reactivate(*, actor: Any, user_id: int, request: HttpRequest | None = None) -> AbstractUser:
    _require_admin(actor)
    with transaction.atomic(durable=True):
        user = _locked_account(user_id)
        if user.is_active:
            return user
        user.is_active = True
        user.save(update_fields=["is_active"])
        event_record(kind=EventKind.REACTIVATED, subject=user, actor=actor, request=request)
    return user
