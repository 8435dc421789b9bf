"""Driving a whole SAML sign-in: Bearing's side through Django's test client, the identity provider's side
(its sign-in form) over HTTP, as a browser would."""

from __future__ import annotations

import base64
import html
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from django.test import Client

from tests.saml_idp.fixtures import IdentityProvider

PASSWORD = "directory pass 1"
BEARING = "http://testserver"
ACS = "/identity/saml/acs/"


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, name
    return html.unescape(found.group(1))


def provider_answer(
    client: Client, idp: IdentityProvider, username: str, *, password: str = PASSWORD, start: str = ""
) -> dict[str, str]:
    """Start a sign-in in Bearing (at `start`, the login button's address with any `next`), sign in at the
    provider, and return the form the provider's page posts back to Bearing's assertion consumer."""
    started = client.get(start or "/identity/saml/login/")
    assert started.status_code == 302, started.status_code
    sso = started["Location"]
    assert sso.startswith(idp.url + "/sso?SAMLRequest="), sso
    browser = requests.Session()
    form = browser.get(sso, timeout=10)
    assert form.status_code == 200, form.text[:500]
    posted = browser.post(
        f"{idp.url}/sso",
        data={
            "username": username,
            "password": password,
            "SAMLRequest": _hidden(form.text, "SAMLRequest"),
            "RelayState": _hidden(form.text, "RelayState"),
        },
        timeout=10,
    )
    assert posted.status_code == 200, posted.text[:500]
    action = re.search(r'action="([^"]+)"', posted.text)
    assert action is not None
    assert html.unescape(action.group(1)) == BEARING + ACS
    answer = {"SAMLResponse": _hidden(posted.text, "SAMLResponse")}
    if 'name="RelayState"' in posted.text:
        answer["RelayState"] = _hidden(posted.text, "RelayState")
    return answer


def post_answer(client: Client, answer: dict[str, str]) -> Any:
    return client.post(ACS, answer)


def sign_in_through_idp(client: Client, idp: IdentityProvider, username: str, **kwargs: Any) -> Any:
    return post_answer(client, provider_answer(client, idp, username, **kwargs))


def decoded(answer: dict[str, str]) -> str:
    return base64.b64decode(answer["SAMLResponse"]).decode()


def encoded(document: str) -> dict[str, str]:
    return {"SAMLResponse": base64.b64encode(document.encode()).decode()}


def path_of(url: str) -> str:
    return urlsplit(url).path
