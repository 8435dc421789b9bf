"""One-time invitation links: a token that stops working once the password is set (or the invitation is sent
again), and after BEARING_INVITATION_DAYS."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset token under its own salt (a reset link is no invitation, nor the reverse) and
    its own lifetime. The hash covers the password, so setting one, or re-sending the invitation (which draws
    a new unusable password), ends every earlier link."""

    key_salt = "identity.tokens.InvitationTokenGenerator"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - ts
        return 0 <= age <= settings.BEARING_INVITATION_DAYS * 24 * 3600


invitation_tokens = InvitationTokenGenerator()
