"""Signing in through a real SAML 2.0 identity provider (tests/saml_idp, in a process of its own, signing its
responses with a certificate made for the run): a new employee's account is made with the roles of their
groups, the roles follow the groups at each sign-in, and a response that is tampered with, unsigned, for
another audience, expired, replayed or answering no request of this browser is refused with a plain message
and written to the audit log, with no account made."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from core import roles
from identity.models import AuditEvent, EventKind
from identity.services import roles_held
from tests.identity.saml_flow import sign_in_through_idp

pytestmark = pytest.mark.django_db

User = get_user_model()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def events() -> list[tuple[str, str, str]]:
    return [(e.kind, e.username, e.detail) for e in AuditEvent.objects.order_by("pk")]


def test_a_new_employee_signs_in_and_gets_the_roles_of_their_groups(client, saml_settings):
    # given Nina of the directory, in the portfolio office and a group Bearing does not map
    saml_settings.person(
        "nina",
        groups=["portfolio-office", "canteen"],
        email="nina@example.org",
        first_name="Nina",
        last_name="Newhire",
    )
    # when she signs in through the identity provider
    response = sign_in_through_idp(client, saml_settings, "nina")
    # then she lands on the home page, signed in, with an account made from her attributes and the PMO role
    assert response.status_code == 302
    assert response["Location"] == "/"
    nina = User.objects.get(username="nina")
    assert (nina.email, nina.first_name, nina.last_name) == ("nina@example.org", "Nina", "Newhire")
    assert not nina.has_usable_password()
    assert roles_held(nina) == {roles.PMO}
    assert client.get("/").wsgi_request.user == nina
    assert events() == [
        (EventKind.CREATED_BY_PROVIDER, "nina", "by the identity provider"),
        (EventKind.ROLES_CHANGED, "nina", "no role → PMO (the identity provider's groups)"),
        (EventKind.SIGN_IN, "nina", "through the identity provider"),
    ]
