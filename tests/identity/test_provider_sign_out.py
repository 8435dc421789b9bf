"""Signing out of a session that an identity provider signed in: the session here ends first, then the browser
goes on to the provider's logout (OpenID Connect's end_session_endpoint with the ID token as a hint, SAML's
single logout), so the provider's own session ends too; a provider without a logout, and a password session,
sign out here only, as before."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from identity import oidc, provider, saml
from identity.models import AuditEvent, EventKind
from tests.factories import UserFactory
from tests.identity.oidc_flow import provider_answer
from tests.identity.saml_flow import sign_in_through_idp
from tests.identity.support import messages_of

pytestmark = pytest.mark.django_db

BEARING = "http://testserver"


def signed_in(client) -> bool:
    return client.get("/accounts/login/").wsgi_request.user.is_authenticated


def test_signing_out_ends_the_openid_providers_session_too(client, oidc_settings, settings):
    # given Nina signed in through the provider, whose session in her browser is still open
    settings.BEARING_BASE_URL = BEARING
    oidc_settings.person("nina", groups=["portfolio-office"])
    browser = requests.Session()
    assert client.get(provider_answer(client, oidc_settings, "nina", browser=browser))["Location"] == "/"
    id_token = client.session[provider.SIGN_OUT_SESSION_KEY]["id_token"]
    assert id_token.count(".") == 2
    # when she signs out in Bearing
    response = client.post("/accounts/logout/")
    # then she is signed out here first, and sent on to the provider's end-session endpoint
    assert not signed_in(client)
    assert AuditEvent.objects.latest("pk").kind == EventKind.SIGN_OUT
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc_settings.issuer}/logout/"
    assert parse_qs(target.query) == {
        "id_token_hint": [id_token],
        "post_logout_redirect_uri": [f"{BEARING}/accounts/login/"],
        "client_id": ["bearing"],
    }
    # and the provider ends its session without asking, and sends her back to Bearing's login page
    back = browser.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    assert back.headers["Location"] == f"{BEARING}/accounts/login/"
    # and her next sign-in asks for her directory password again
    authorize = client.get("/accounts/login/provider/")["Location"]
    again = browser.get(authorize, allow_redirects=False, timeout=10)
    assert again.status_code == 302
    assert urlsplit(again.headers["Location"]).path == "/login/"


def test_an_openid_provider_without_a_logout_signs_out_here_only(client, oidc_settings, monkeypatch):
    # given a provider whose discovery document advertises no end_session_endpoint
    oidc_settings.person("olga", groups=["portfolio-office"])
    client.get(provider_answer(client, oidc_settings, "olga"))
    document = {k: v for k, v in oidc.discovery().items() if k != "end_session_endpoint"}
    monkeypatch.setattr(oidc, "discovery", lambda: document)
    # when Olga signs out, she is signed out here and lands on the login page, as before
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert not signed_in(client)


def test_signing_out_ends_the_saml_providers_session_too(client, saml_settings):
    # given Sam signed in through the SAML provider
    saml_settings.person("sam", groups=["portfolio-office"])
    assert sign_in_through_idp(client, saml_settings, "sam")["Location"] == "/"
    session_index = client.session[provider.SIGN_OUT_SESSION_KEY]["session_index"]
    assert session_index.startswith("_session-")
    # when he signs out in Bearing
    response = client.post("/accounts/logout/")
    # then he is signed out here first, and sent on to the provider's single logout with a logout request
    assert not signed_in(client)
    assert AuditEvent.objects.latest("pk").kind == EventKind.SIGN_OUT
    location = response["Location"]
    assert location.startswith(f"{saml_settings.url}/slo?SAMLRequest=")
    # and the provider ends his session there (it was told who and which session) and sends him back
    back = requests.get(location, allow_redirects=False, timeout=10)
    assert saml_settings.log()[-1] == {"logout": "sam", "session_index": session_index, "signed": False}
    assert back.status_code == 302
    answer = back.headers["Location"]
    assert answer.startswith(f"{BEARING}/identity/saml/sls/?SAMLResponse=")
    # where Bearing checks that the answer is to its request and says he is signed out
    final = client.get(answer[len(BEARING) :])
    assert final["Location"] == "/accounts/login/"
    assert messages_of(final) == [saml.SIGNED_OUT]
    assert saml.SIGNED_OUT in client.get("/accounts/login/").content.decode()
    # and the same answer again is just the login page
    replay = client.get(answer[len(BEARING) :])
    assert replay["Location"] == "/accounts/login/"
    assert messages_of(replay) == []


def test_a_saml_provider_without_single_logout_signs_out_here_only(client, saml_settings, settings):
    settings.BEARING_SAML_IDP_SLO_URL = ""
    saml_settings.person("sol", groups=[])
    sign_in_through_idp(client, saml_settings, "sol")
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert not signed_in(client)


@pytest.mark.parametrize(
    "query", ["", "?SAMLResponse=garbage", "?SAMLResponse=%25%25", "?SAMLRequest=garbage"]
)
def test_the_single_logout_address_never_fails(client, saml_settings, query):
    session = client.session
    session[saml.LOGOUT_REQUEST_SESSION_KEY] = "_a-request"
    session.save()
    response = client.get(f"/identity/saml/sls/{query}")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == []


def test_a_password_session_signs_out_here_only(client, saml_settings):
    client.force_login(UserFactory(username="pat"))
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert not signed_in(client)
