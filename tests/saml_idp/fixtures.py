"""The SAML identity provider of the sign-in tests: tests/saml_idp started once per test session with
runserver on a free port, with a key and a self-signed certificate generated for the run; and the settings
that point Bearing at it."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.provider_process import free_port, running, seed


def key_and_certificate(common_name: str) -> tuple[str, str]:
    """A fresh RSA key and a self-signed certificate of it, both in PEM (made per run, never committed)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class IdentityProvider:
    """The running provider: its addresses and certificate, and the seeding of its directory."""

    url: str
    seed_token: str
    certificate: str

    @property
    def entity_id(self) -> str:
        return f"{self.url}/metadata"

    def _seed(self, data: dict[str, Any]) -> None:
        seed(self.url, self.seed_token, data)

    def person(
        self,
        username: str,
        *,
        groups: list[str],
        password: str = "directory pass 1",
        answer: dict[str, Any] | None = None,
        **names: str,
    ) -> None:
        """A person of the directory, in exactly these groups (made, or changed); `answer` bends the
        provider's next answers for them: {"audience": ..., "valid_minutes": -10, "sign": False, "status": ...,
        "in_response_to": ...}."""
        person = {
            "username": username,
            "password": password,
            "groups": groups,
            "answer": answer or {},
            **names,
        }
        self._seed({"users": [person]})

    def serve(self, bearing_url: str) -> None:
        """Bearing at `bearing_url` receives the browser back from the provider's logout."""
        self._seed({"service": {"sls": f"{bearing_url.rstrip('/')}/identity/saml/sls/"}})

    def log(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/test/log", headers={"X-Seed-Token": self.seed_token}, timeout=10)
        response.raise_for_status()
        return list(response.json()["log"])


@pytest.fixture(scope="session")
def saml_idp() -> Iterator[IdentityProvider]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    key, certificate = key_and_certificate("Example SAML directory (tests)")
    idp = IdentityProvider(url=url, seed_token=secrets.token_urlsafe(24), certificate=certificate)
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.saml_idp.settings",
        "IDP_URL": url,
        "IDP_PRIVATE_KEY": key,
        "IDP_CERTIFICATE": certificate,
        "IDP_SEED_TOKEN": idp.seed_token,
    }
    with running(port, env, probe=f"{url}/metadata", what="the test identity provider"):
        yield idp


@pytest.fixture
def saml_settings(settings: Any, saml_idp: IdentityProvider) -> IdentityProvider:
    """Bearing configured for the test provider (by entity ID, addresses and certificate), with a role rule,
    on the test client's address."""
    from identity import saml
    from identity.saml_config import certificate_body

    saml.forget_metadata()
    settings.BEARING_BASE_URL = "http://testserver"
    settings.BEARING_SAML_ENABLED = True
    settings.BEARING_SAML_IDP_METADATA_URL = ""
    settings.BEARING_SAML_IDP_ENTITY_ID = saml_idp.entity_id
    settings.BEARING_SAML_IDP_SSO_URL = f"{saml_idp.url}/sso"
    settings.BEARING_SAML_IDP_SLO_URL = f"{saml_idp.url}/slo"
    settings.BEARING_SAML_IDP_X509_CERT = certificate_body(saml_idp.certificate)
    settings.BEARING_SAML_SP_ENTITY_ID = ""
    settings.BEARING_SAML_SP_PRIVATE_KEY = ""
    settings.BEARING_SAML_SP_X509_CERT = ""
    settings.BEARING_SAML_USERNAME_ATTRIBUTE = ""
    settings.BEARING_SAML_GROUPS_ATTRIBUTE = "groups"
    settings.BEARING_SAML_BUTTON_LABEL = "Sign in with Example SAML directory"
    settings.BEARING_SAML_ROLE_MAP = {
        "PMO": ("portfolio-office",),
        "Executive": ("exec-team", "cio-office"),
        "Steering member": ("steering",),
    }
    saml_idp.serve("http://testserver")
    return saml_idp
