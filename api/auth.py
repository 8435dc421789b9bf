"""Who is calling: a personal API token (Authorization: Bearer brg_…) or the browser's session.

Either way the caller must hold a Bearing role to read, and a read-only token may not write. The session
needs Django's CSRF token on writes, as the pages do; a token does not (it is not sent by a browser on its
own)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer, SessionAuth

from api.models import TokenScope
from api.tokens import token_authenticate
from core.roles import can_view

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
NO_ROLE = "Your account holds no Bearing role; ask an administrator for one."


class TokenAuth(HttpBearer):
    openapi_description = (
        "A personal API token, created on the API tokens page: `Authorization: Bearer brg_…`."
    )

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(token)
        if found is None:
            raise AuthenticationError()
        user = found.user
        if not can_view(user):
            raise AuthorizationError(message=NO_ROLE)
        if found.scope != TokenScope.WRITE and request.method not in SAFE_METHODS:
            raise AuthorizationError(
                message="This token is read-only: create a read-and-write token to change data."
            )
        request.user = user
        return user


class RoleSessionAuth(SessionAuth):
    openapi_description = "The browser's session (signed in to Bearing); writes need the X-CSRFToken header."

    def _get_key(self, request: HttpRequest) -> str | None:
        # no session cookie: nothing to check the CSRF token against; the caller is anonymous (401, not 403)
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not can_view(user):
            raise AuthorizationError(message=NO_ROLE)
        return user
