"""Password sign-in, which BEARING_LOCAL_PASSWORDS=false switches off (the identity provider alone signs
people in then; the break-glass link still signs a session in under this backend)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from core.sign_in import local_passwords_on


class LocalPasswordBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not local_passwords_on():
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
