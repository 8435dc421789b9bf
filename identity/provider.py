"""What signing in through an identity provider means, whichever protocol brought the answer (OpenID
Connect in identity.oidc, SAML 2.0 in identity.saml): the account is found by its username (any case) or made
at the first sign-in, a deactivated account is refused, the name, e-mail and roles follow the provider's at
every sign-in, and a refusal sends the person back to the login page with a plain message and is written to
the audit log as a failed sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url

from identity import services
from identity.models import EventKind
from identity.receivers import FAILURE_ATTRIBUTE

SIGNED_IN_DETAIL = "through the identity provider"
AGAIN = "Sign in again."
STATE_MISMATCH = (
    "The sign-in could not be completed: it was not started in this browser, or it was already used. " + AGAIN
)
ANSWER_MISMATCH = (
    "The sign-in could not be completed: the identity provider's answer did not match it. " + AGAIN
)
UNREACHABLE = "The identity provider could not be reached. Try again in a moment, or ask your administrator."
REFUSED = "The identity provider did not sign you in."
DEACTIVATED = "Your Bearing account is deactivated: ask an administrator."
# The session key that says which provider's logout to send the browser to when the person signs out.
SIGN_OUT_SESSION_KEY = "identity_provider_sign_out"

# The authentication backends of the providers' sign-ins (each answers only its own protocol's call).
BACKENDS = ("identity.oidc.ProviderBackend", "identity.saml.SamlBackend")


class Refused(Exception):
    """A sign-in the provider's answer does not allow: `detail` for the audit log, `message` for the person."""

    def __init__(self, detail: str, *, username: str = "", message: str = REFUSED) -> None:
        super().__init__(detail)
        self.detail = detail
        self.username = username
        self.message = message


def refuse(request: HttpRequest, refused: Refused) -> None:
    """Tell the failed-sign-in signal (identity.receivers) why a backend refused."""
    setattr(request, FAILURE_ATTRIBUTE, refused)


def failed(request: HttpRequest, refused: Refused) -> HttpResponse:
    """Back to the login page with the message; the failure in the audit log."""
    services.event_record(
        kind=EventKind.SIGN_IN_FAILED,
        username=refused.username,
        request=request,
        detail=f"identity provider: {refused.detail}",
    )
    messages.error(request, refused.message)
    return HttpResponseRedirect(resolve_url("login"))


def signed_in_through_provider(request: HttpRequest) -> bool:
    """Whether this session was signed in by an identity provider (which asks for its own second factor)."""
    return hasattr(request, "session") and request.session.get(BACKEND_SESSION_KEY) in BACKENDS


def text(value: Any) -> str:
    """A claim or attribute as text: a string stripped, the first of a list, anything else empty."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value.strip() if isinstance(value, str) else ""


def account_signed_in(
    request: HttpRequest,
    *,
    username: Any,
    source: str,
    email: str,
    first_name: str,
    last_name: str,
    groups: object,
    rule: dict[str, tuple[str, ...]],
) -> Any:
    """The account the provider vouched for (`username`, read from its claim or attribute `source`): made at
    the first sign-in, kept up to date at each. None, with the reason set for the audit log, when the
    username is not usable or the account is deactivated."""
    username = text(username)
    if not username or len(username) > 150:
        refuse(request, Refused(f"the provider sent no usable {source}"))
        return None
    existing = get_user_model().objects.filter(username__iexact=username).first()
    if existing is not None and not existing.is_active:
        refuse(request, Refused("account deactivated", username=existing.username, message=DEACTIVATED))
        return None
    return services.account_signed_in_by_provider(
        username=existing.username if existing is not None else username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        groups=groups,
        rule=rule,
        request=request,
    )
