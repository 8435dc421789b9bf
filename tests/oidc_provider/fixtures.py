"""The OpenID Connect provider of the sign-in tests: tests/oidc_provider started once per test session with
runserver on a free port, with an RSA key generated for the run; and the settings that point Bearing at it."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "bearing"
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        response = requests.post(
            f"{self.url}/test/seed", json=data, headers={"X-Seed-Token": self.seed_token}, timeout=10
        )
        response.raise_for_status()

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


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test provider stopped (exit {process.returncode})")
        try:
            if requests.get(f"{url}/o/.well-known/openid-configuration", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the test provider did not answer in time")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    provider = Provider(url=url, seed_token=secrets.token_urlsafe(24))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "PROVIDER_DB": str(tmp_path_factory.mktemp("oidc-provider") / "provider.sqlite3"),
        "PROVIDER_RSA_KEY": _private_key(),
        "PROVIDER_ISSUER": provider.issuer,
        "PROVIDER_SEED_TOKEN": provider.seed_token,
    }
    python = sys.executable
    subprocess.run([python, "-m", "django", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [python, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(process, url)
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)


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
