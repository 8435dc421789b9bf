"""Driving a whole authorization-code sign-in: Bearing's side through Django's test client, the provider's
side (its login page, its authorization endpoint) over HTTP, as a browser would."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.test import Client

from tests.oidc_provider.fixtures import Provider

PASSWORD = "directory pass 1"
BEARING = "http://testserver"


def provider_answer(
    client: Client,
    provider: Provider,
    username: str,
    password: str = PASSWORD,
    browser: requests.Session | None = None,
) -> str:
    """Start a sign-in in Bearing, sign in at the provider (in `browser`, to keep its session there), and
    return where the provider sends the browser back (Bearing's callback path, with its code and state)."""
    start = client.get("/accounts/login/provider/")
    assert start.status_code == 302, start.status_code
    authorize = start["Location"]
    assert authorize.startswith(provider.issuer + "/authorize/")
    browser = browser or requests.Session()
    login_page = browser.get(authorize, timeout=10)
    assert urlsplit(login_page.url).path == "/login/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)
    after = re.search(r'name="next" value="([^"]+)"', login_page.text)
    assert token is not None
    assert after is not None
    signed_in = browser.post(
        login_page.url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1),
            "next": html.unescape(after.group(1)),
        },
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    back = browser.get(
        urljoin(provider.url, signed_in.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert back.status_code == 302, back.text[:500]
    callback = back.headers["Location"]
    assert callback.startswith(BEARING + "/accounts/login/provider/callback/?"), callback
    return callback[len(BEARING) :]


def sign_in_through_provider(client: Client, provider: Provider, username: str, **kwargs: Any) -> Any:
    return client.get(provider_answer(client, provider, username, **kwargs))
