"""The OpenID Connect provider of the sign-in tests: tests/oidc_provider started once per test session with
runserver on a free port, with an RSA key generated for the run; and the settings that point Bearing at it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.provider_process import ROOT, free_port, running, seed

CLIENT_ID = "bearing"


def _private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Provider:
    """The running provider: its issuer, and the seeding of its directory and of Bearing's client there."""

    url: str
    seed_token: str
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redirect_uris: set[str] = field(default_factory=set)

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def _seed(self, data: dict[str, Any]) -> None:
        seed(self.url, self.seed_token, data)

    def person(
        self, username: str, *, groups: list[str], password: str = "directory pass 1", **names: str
    ) -> None:
        """A person of the directory, in exactly these groups (made, or changed)."""
        self._seed({"users": [{"username": username, "password": password, "groups": groups, **names}]})

    def allow_redirect(self, bearing_url: str) -> str:
        """Let Bearing at `bearing_url` receive the browser back (after sign-in, and after the provider's
        logout); returns the callback address."""
        uri = f"{bearing_url.rstrip('/')}/accounts/login/provider/callback/"
        if uri not in self.redirect_uris:
            self.redirect_uris.add(uri)
            self._seed(
                {
                    "client_secret": self.client_secret,
                    "redirect_uris": sorted(self.redirect_uris),
                    "post_logout_redirect_uris": sorted(
                        u.replace("/accounts/login/provider/callback/", "/accounts/login/")
                        for u in self.redirect_uris
                    ),
                }
            )
        return uri


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider = Provider(url=url, seed_token=secrets.token_urlsafe(24))
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "PROVIDER_DB": str(tmp_path_factory.mktemp("oidc-provider") / "provider.sqlite3"),
        "PROVIDER_RSA_KEY": _private_key(),
        "PROVIDER_ISSUER": provider.issuer,
        "PROVIDER_SEED_TOKEN": provider.seed_token,
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    with running(port, env, probe=f"{url}/o/.well-known/openid-configuration", what="the test provider"):
        yield provider


@pytest.fixture
def oidc_settings(settings: Any, oidc_provider: Provider) -> Provider:
    """Bearing configured for the test provider, with a role rule (the discovery document read afresh)."""
    from identity import oidc

    oidc.forget_discovery()
    settings.BEARING_OIDC_ISSUER = oidc_provider.issuer
    settings.BEARING_OIDC_ENABLED = True
    settings.BEARING_OIDC_BUTTON_LABEL = "Sign in with Example directory"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.BEARING_OIDC_ROLE_MAP = {
        "PMO": ("portfolio-office",),
        "Executive": ("exec-team", "cio-office"),
        "Steering member": ("steering",),
    }
    oidc_provider.allow_redirect("http://testserver")
    return oidc_provider
