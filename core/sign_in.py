"""How people may sign in here: with a Bearing password, through the identity provider, or both (the login
page, and the page that says logging in is paused, show the same choices)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

PASSWORDS_OFF = "Passwords are switched off here: sign in with the button below."


def local_passwords_on() -> bool:
    return settings.BEARING_LOCAL_PASSWORDS


def sign_in_choices() -> dict[str, Any]:
    """The login page's context: whether it shows the password form and the identity providers' buttons
    (OpenID Connect, SAML)."""
    return {
        "local_passwords": local_passwords_on(),
        "provider_sign_in": settings.BEARING_OIDC_ENABLED,
        "provider_label": settings.BEARING_OIDC_BUTTON_LABEL,
        "saml_sign_in": settings.BEARING_SAML_ENABLED,
        "saml_label": settings.BEARING_SAML_BUTTON_LABEL,
    }


def provider_button_label() -> str:
    """The label of the login page's (first) identity provider button, for the invitation e-mail."""
    if settings.BEARING_OIDC_ENABLED or not settings.BEARING_SAML_ENABLED:
        return settings.BEARING_OIDC_BUTTON_LABEL
    return settings.BEARING_SAML_BUTTON_LABEL
