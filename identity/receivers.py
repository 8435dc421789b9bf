"""Django's sign-in signals, handed to the services that record them (the signals are how Django reports a
sign-in from any view: the login page, the admin's, a test client's force_login)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from identity import services
from identity.models import EventKind

# Set on a request by the session guard when it signs someone out itself (time-out, ended elsewhere): what
# the audit log records instead of a plain sign-out (None: nothing, it was recorded when it was ended).
ENDING_ATTRIBUTE = "_identity_ending"
# Set on a request by a view that signs someone in other than with a password: how, for the audit log.
SIGN_IN_DETAIL_ATTRIBUTE = "_identity_sign_in_detail"
# Set on a request by the identity provider's backend when it refuses a sign-in: an object with the
# `username` it was about and the `detail` of why, for the failed sign-in the audit log records.
FAILURE_ATTRIBUTE = "_identity_provider_failure"


def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        detail = getattr(request, SIGN_IN_DETAIL_ATTRIBUTE, "")
        services.session_start(request=request, user=user, detail=detail)


def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None:
        return
    kind = getattr(request, ENDING_ATTRIBUTE, EventKind.SIGN_OUT)
    services.session_end(request=request, user=user, kind=kind)


def _failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    refused = getattr(request, FAILURE_ATTRIBUTE, None)
    if refused is not None:
        services.event_record(
            kind=EventKind.SIGN_IN_FAILED,
            username=refused.username,
            request=request,
            detail=f"identity provider: {refused.detail}",
        )
        return
    username = str(credentials.get("username") or "")
    services.event_record(kind=EventKind.SIGN_IN_FAILED, username=username, request=request)


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="identity.signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="identity.signed_out")
    user_login_failed.connect(_failed, dispatch_uid="identity.failed")
