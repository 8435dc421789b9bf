"""The SAML configuration: the settings that stop the server at start-up with a plain message naming the
variable when they cannot work, and the certificate and key readers behind them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from identity.saml_config import SamlConfigError, certificate_body, private_key_pem
from tests.identity.test_oidc_settings import ROOT, start_settings
from tests.saml_idp.fixtures import key_and_certificate

KEY, CERTIFICATE = key_and_certificate("settings test")
BODY = "".join(line for line in CERTIFICATE.splitlines() if "-----" not in line)
IDP = {
    "BEARING_SAML_IDP_ENTITY_ID": "https://idp.example.org/metadata",
    "BEARING_SAML_IDP_SSO_URL": "https://idp.example.org/sso",
    "BEARING_SAML_IDP_X509_CERT": BODY,
}


def test_a_certificate_is_read_from_pem_or_its_body():
    assert certificate_body(CERTIFICATE) == BODY
    assert certificate_body(f"  {BODY}\n") == BODY


@pytest.mark.parametrize("raw", ["not a certificate", "QUJD", KEY])
def test_what_is_no_certificate_is_refused(raw):
    with pytest.raises(SamlConfigError) as refused:
        certificate_body(raw)
    assert str(refused.value) == "is not an X.509 certificate (PEM, or its base64 body)"


def test_a_key_may_be_written_on_one_line():
    assert private_key_pem(KEY.strip().replace("\n", "\\n")) == KEY.strip()


def test_an_identity_provider_named_in_full_starts():
    started = start_settings(**IDP, BEARING_LOCAL_PASSWORDS="false")
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"BEARING_SAML_IDP_ENTITY_ID": "https://idp.example.org/metadata"},
            "BEARING_SAML_IDP_ENTITY_ID needs BEARING_SAML_IDP_SSO_URL and BEARING_SAML_IDP_X509_CERT "
            "(or set BEARING_SAML_IDP_METADATA_URL instead)",
        ),
        (
            {**IDP, "BEARING_SAML_IDP_X509_CERT": "MIIB-not-a-certificate"},
            "BEARING_SAML_IDP_X509_CERT is not an X.509 certificate (PEM, or its base64 body)",
        ),
        (
            {**IDP, "BEARING_SAML_IDP_SSO_URL": "idp.example.org/sso"},
            "BEARING_SAML_IDP_SSO_URL is not an http(s) address",
        ),
        (
            {"BEARING_SAML_IDP_METADATA_URL": "ftp://idp.example.org/metadata"},
            "BEARING_SAML_IDP_METADATA_URL is not an http(s) address",
        ),
        (
            {**IDP, "BEARING_SAML_SP_PRIVATE_KEY": KEY},
            "BEARING_SAML_SP_PRIVATE_KEY and BEARING_SAML_SP_X509_CERT go together",
        ),
        (
            {**IDP, "BEARING_SAML_SP_PRIVATE_KEY": "secret"},
            "BEARING_SAML_SP_PRIVATE_KEY is not an unencrypted private key in PEM",
        ),
        (
            {"BEARING_SAML_IDP_SSO_URL": "https://idp.example.org/sso"},
            "BEARING_SAML_IDP_SSO_URL and BEARING_SAML_IDP_X509_CERT need BEARING_SAML_IDP_ENTITY_ID",
        ),
        (
            {**IDP, "BEARING_SAML_ROLE_MAP": '{"boss": "x"}'},
            "BEARING_SAML_ROLE_MAP names an unknown role 'boss'",
        ),
        (
            {"BEARING_LOCAL_PASSWORDS": "false"},
            "BEARING_LOCAL_PASSWORDS=false needs OpenID Connect sign-in (BEARING_OIDC_ISSUER) or SAML sign-in "
            "(BEARING_SAML_IDP_METADATA_URL or BEARING_SAML_IDP_ENTITY_ID)",
        ),
    ],
)
def test_a_configuration_that_cannot_work_stops_the_start(env, message):
    started = start_settings(**env)
    assert started.returncode != 0
    assert f"ConfigurationError: {message}" in started.stderr


def test_the_providers_logout_origins_are_allowed_as_form_actions():
    # given an OpenID Connect issuer and a SAML provider with a single logout address on another host
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BEARING_", "DJANGO_CSP"))},
        "DJANGO_DEBUG": "true",
        **IDP,
        "BEARING_SAML_IDP_SLO_URL": "https://logout.example.org/slo?tenant=acme",
        "BEARING_OIDC_ISSUER": "https://login.example.com:8443/realms/acme",
        "BEARING_OIDC_CLIENT_ID": "bearing",
        "BEARING_OIDC_CLIENT_SECRET": "s",
    }
    # when the settings load
    started = subprocess.run(
        [sys.executable, "-c", PRINT_FORM_ACTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then the logout button's form may lead to both providers' origins, and nowhere else
    assert started.returncode == 0, started.stderr
    assert (
        started.stdout.splitlines()[-1] == "'self' https://login.example.com:8443 https://logout.example.org"
    )


PRINT_FORM_ACTION = (
    "import config.settings as s; print(' '.join(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
)
