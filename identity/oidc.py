"""Signing in through an OpenID Connect identity provider (mozilla-django-oidc, authorization code flow with
PKCE and a nonce). The provider's endpoints come from its discovery document, read at the first sign-in;
the account is found (or made) by the username claim, its name and e-mail follow the claims, and its roles
follow the groups claim through BEARING_OIDC_ROLE_MAP at every sign-in. Every failure sends the person back
to the login page with a plain message and is written to the audit log."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from core.redirects import safe_next
from identity import provider
from identity.provider import ANSWER_MISMATCH, STATE_MISMATCH, UNREACHABLE, Refused, failed
from identity.receivers import FAILURE_ATTRIBUTE, SIGN_IN_DETAIL_ATTRIBUTE

BACKEND_PATH = "identity.oidc.ProviderBackend"
# The ID token, kept in the session once signed in, for the provider's logout (its id_token_hint).
ID_TOKEN_ATTRIBUTE = "_identity_oidc_id_token"


class ProviderUnavailable(Exception):
    pass


_discovered: dict[str, dict[str, Any]] = {}
_discovery_lock = threading.Lock()


def discovery() -> dict[str, Any]:
    """The issuer's discovery document (its endpoints), read once per process."""
    issuer = settings.BEARING_OIDC_ISSUER
    with _discovery_lock:
        found = _discovered.get(issuer)
        if found is not None:
            return found
        try:
            response = requests.get(
                f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
            )
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"discovery failed: {type(error).__name__}") from None
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
            raise ProviderUnavailable("the discovery document names another issuer")
        missing = {"authorization_endpoint", "token_endpoint", "jwks_uri"} - set(document)
        if missing:
            raise ProviderUnavailable(f"the discovery document has no {', '.join(sorted(missing))}")
        _discovered[issuer] = document
        return document


def forget_discovery() -> None:
    with _discovery_lock:
        _discovered.clear()


class ProviderBackend(OIDCAuthenticationBackend):
    """The provider's side of a sign-in. Answers only the callback's authenticate() call (the one with a
    code verifier), never a password sign-in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # no settings read, no request made here
        self.UserModel = get_user_model()

    # mozilla-django-oidc reads these as attributes; they come from the settings and the discovery document
    @property
    def OIDC_RP_CLIENT_ID(self) -> str:  # noqa: N802
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:  # noqa: N802
        return settings.OIDC_RP_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:  # noqa: N802
        return settings.OIDC_RP_SIGN_ALGO

    OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802
        return discovery()["token_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return discovery()["jwks_uri"]

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:  # noqa: N802
        return discovery().get("userinfo_endpoint")

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if not settings.BEARING_OIDC_ENABLED or request is None or "code_verifier" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        return ModelBackend.get_user(self, user_id)  # type: ignore[arg-type]  # an inactive account: none

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's signature, expiry and nonce (mozilla-django-oidc), and its issuer and audience."""
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:
            if str(payload.get("iss", "")).rstrip("/") != settings.BEARING_OIDC_ISSUER:
                raise SuspiciousOperation("ID token from another issuer")
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if settings.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("ID token for another client")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint's (some providers put the groups in
        only one of them)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            claims.update(super().get_userinfo(access_token, id_token, payload))
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        user = provider.account_signed_in(
            self.request,
            username=claims.get(settings.BEARING_OIDC_USERNAME_CLAIM),
            source=f"{settings.BEARING_OIDC_USERNAME_CLAIM!r} claim",
            email=provider.text(claims.get("email")),
            first_name=provider.text(claims.get("given_name")),
            last_name=provider.text(claims.get("family_name")),
            groups=claims.get(settings.BEARING_OIDC_GROUPS_CLAIM),
            rule=settings.BEARING_OIDC_ROLE_MAP,
        )
        setattr(self.request, ID_TOKEN_ATTRIBUTE, id_token)
        return user


class SignInStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with a fresh state, nonce and PKCE challenge kept in the session."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.BEARING_OIDC_ENABLED:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery()["authorization_endpoint"]
        except ProviderUnavailable as error:
            return failed(request, Refused(str(error), message=UNREACHABLE))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SignInCallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code: the state must be one this session started, the
    ID token must carry its nonce, and the account must be active."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.BEARING_OIDC_ENABLED:
            raise Http404
        state = request.GET.get("state", "")
        states = request.session.get("oidc_states")
        started = states.pop(state, None) if isinstance(states, dict) else None
        if started is not None:
            request.session["oidc_states"] = states  # used once, whatever follows
            request.session.save()
        if request.GET.get("error"):
            error = request.GET["error"][:100]
            return failed(request, Refused(f"refused ({error})"))
        if not request.GET.get("code") or not isinstance(started, dict):
            return failed(request, Refused("state did not match", message=STATE_MISMATCH))
        try:
            user = auth.authenticate(
                request=request, nonce=started.get("nonce"), code_verifier=started.get("code_verifier")
            )
        except SuspiciousOperation as error:
            return failed(request, Refused(str(error)[:200], message=ANSWER_MISMATCH))
        except (requests.RequestException, ProviderUnavailable, ValueError) as error:
            return failed(request, Refused(f"unreachable ({type(error).__name__})", message=UNREACHABLE))
        if user is None or not user.is_active:
            # recorded by the failed-sign-in signal (identity.receivers), with the reason set by the backend
            refused = getattr(request, FAILURE_ATTRIBUTE, None) or Refused("refused")
            messages.error(request, refused.message)
            return HttpResponseRedirect(resolve_url("login"))
        self.user = user
        setattr(request, SIGN_IN_DETAIL_ATTRIBUTE, provider.SIGNED_IN_DETAIL)
        response = self.login_success()
        request.session[provider.SIGN_OUT_SESSION_KEY] = {
            "protocol": "oidc",
            "id_token": getattr(request, ID_TOKEN_ATTRIBUTE, ""),
        }
        return response

    @property
    def success_url(self) -> str:
        default = resolve_url(settings.LOGIN_REDIRECT_URL)
        return safe_next(self.request, self.request.session.get("oidc_login_next"), default)


def logout_url(plan: dict[str, Any]) -> str | None:
    """The provider's logout (RP-initiated logout: end_session_endpoint, with the session's ID token as a
    hint and the login page to come back to); None when the provider advertises none."""
    if not settings.BEARING_OIDC_ENABLED:
        return None
    try:
        endpoint = discovery().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    query = urlencode(
        {
            "id_token_hint": str(plan.get("id_token") or ""),
            "post_logout_redirect_uri": settings.BEARING_BASE_URL.rstrip("/") + resolve_url("login"),
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
