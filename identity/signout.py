"""Signing out: here first, always; then, for a session signed in through an identity provider that has a
logout (OpenID Connect's end_session_endpoint, SAML's single logout), on to the provider, so the next
person at this browser is not signed straight back in by the provider's own session."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from identity import oidc, provider, saml


def _provider_logout(request: HttpRequest) -> tuple[str, str] | None:
    """Where the provider ends its session, and the id of a SAML logout request (empty for OpenID Connect)."""
    plan = request.session.get(provider.SIGN_OUT_SESSION_KEY)
    if not isinstance(plan, dict) or not request.user.is_authenticated:
        return None
    if plan.get("protocol") == "oidc":
        target = oidc.logout_url(plan)
        return (target, "") if target else None
    if plan.get("protocol") == "saml":
        return saml.logout_url(request, plan)
    return None


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        at_provider = _provider_logout(request)
        response = super().post(request, *args, **kwargs)  # the session here ends first
        if at_provider is None:
            return response
        target, logout_request = at_provider
        if logout_request:
            request.session[saml.LOGOUT_REQUEST_SESSION_KEY] = logout_request
        return HttpResponseRedirect(target)
