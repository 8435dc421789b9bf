"""Fixtures of the identity tests: clients signed in as a persona, and an account to manage."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from core import roles
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin_client(admin_user: Any) -> Client:
    """A browser of its own, signed in as the admin (the `client` fixture stays free for someone else)."""
    browser = Client()
    browser.force_login(admin_user)
    return browser


@pytest.fixture
def erin(db: Any) -> Any:
    """An executive whose account the admins manage."""
    return UserFactory(
        username="erin",
        first_name="Erin",
        last_name="Example",
        email="erin@example.org",
        roles=[roles.EXECUTIVE],
    )


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    """Sign in through the login page, as a person does."""
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)
