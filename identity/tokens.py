"""One-time links: an invitation's, which stops working once the password is set (or the invitation is sent
again), and after BEARING_INVITATION_DAYS; and the break-glass command's sign-in link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class _LimitedTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset token under a salt and a lifetime of its own."""

    def lifetime_seconds(self) -> int:
        raise NotImplementedError

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
        return 0 <= age <= self.lifetime_seconds()


class InvitationTokenGenerator(_LimitedTokenGenerator):
    """A reset link is no invitation, nor the reverse. The hash covers the password, so setting one, or
    re-sending the invitation (which draws a new unusable password), ends every earlier link."""

    key_salt = "identity.tokens.InvitationTokenGenerator"

    def lifetime_seconds(self) -> int:
        return settings.BEARING_INVITATION_DAYS * 24 * 3600


class BreakGlassTokenGenerator(_LimitedTokenGenerator):
    """The break-glass command's sign-in link. The hash covers the last sign-in, so the link works once;
    and BEARING_BREAK_GLASS_MINUTES after it was made, it no longer works at all."""

    key_salt = "identity.tokens.BreakGlassTokenGenerator"

    def lifetime_seconds(self) -> int:
        return settings.BEARING_BREAK_GLASS_MINUTES * 60


invitation_tokens = InvitationTokenGenerator()
break_glass_tokens = BreakGlassTokenGenerator()
