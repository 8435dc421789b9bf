"""BEARING_LOCAL_PASSWORDS=false: the login page offers only the identity provider and refuses passwords; the
break_glass command's one-time link still signs an administrator in."""

from __future__ import annotations

import datetime
import io
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from identity.models import AuditEvent, EventKind
from tests.factories import UserFactory
from tests.identity.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

User = get_user_model()
LINK = re.compile(r"https?://[^/\s]+(/accounts/login/break-glass/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def passwords_off(settings):
    settings.BEARING_OIDC_ENABLED = True
    settings.BEARING_OIDC_ISSUER = "http://127.0.0.1:9/o"  # never reached by these tests
    settings.BEARING_OIDC_BUTTON_LABEL = "Sign in with Example directory"
    settings.BEARING_LOCAL_PASSWORDS = False
    return settings


def break_glass_link(username: str, *args: str) -> str:
    out = io.StringIO()
    call_command("break_glass", username, *args, stdout=out)
    return LINK.findall(out.getvalue())[0]


def test_the_login_page_offers_the_provider_and_a_password_form_by_default(client, settings):
    settings.BEARING_OIDC_ENABLED = True
    settings.BEARING_OIDC_BUTTON_LABEL = "Sign in with Example directory"
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/login/provider/">Sign in with Example directory</a>' in page
    assert 'name="password"' in page


def test_the_login_page_keeps_where_the_person_was_going_for_the_provider(client, settings):
    settings.BEARING_OIDC_ENABLED = True
    page = client.get("/accounts/login/?next=/initiatives/%3Fq%3Da").content.decode()
    assert 'href="/accounts/login/provider/?next=/initiatives/%3Fq%3Da"' in page


def test_with_passwords_off_the_login_page_shows_only_the_provider(client, passwords_off):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Example directory" in page
    assert 'name="password"' not in page
    assert "Forgot your password?" not in page


def test_with_passwords_off_a_right_password_is_refused(client, passwords_off):
    # given someone with a password
    UserFactory(username="paula")
    # when they post it to the login page
    response = sign_in(client, "paula")
    # then it is refused with a plain message and nobody is signed in
    assert response.status_code == 403
    assert "Passwords are switched off here" in response.content.decode()
    assert not client.get("/accounts/login/").wsgi_request.user.is_authenticated
    assert not AuditEvent.objects.filter(kind=EventKind.SIGN_IN).exists()


def test_with_passwords_off_no_password_authenticates_at_all(passwords_off, rf):
    from django.contrib.auth import authenticate

    UserFactory(username="paula")
    assert authenticate(rf.post("/accounts/login/"), username="paula", password=PASSWORD) is None


def test_the_break_glass_link_signs_an_admin_in_once(passwords_off):
    # given an administrator, and a link the break_glass command made for them
    UserFactory(username="root", is_superuser=True, is_staff=True)
    path = break_glass_link("root")
    browser = Client()
    # when it is opened: a button, not yet a sign-in
    page = browser.get(path)
    assert page.status_code == 200
    assert not page.wsgi_request.user.is_authenticated
    # and the button pressed
    response = browser.post(path)
    # then the admin is signed in, and the log says how
    assert response["Location"] == "/"
    assert browser.get("/").wsgi_request.user.username == "root"
    issued, signed_in = AuditEvent.objects.filter(username="root").order_by("pk")
    assert (issued.kind, issued.detail) == (
        EventKind.BREAK_GLASS_LINK,
        "from the server's shell; works once, for 15 minutes",
    )
    assert (signed_in.kind, signed_in.detail) == (EventKind.SIGN_IN, "with a break-glass link")
    # and the link does not work a second time
    again = Client().post(path)
    assert again.status_code == 404
    assert "This break-glass link does not work" in again.content.decode()


def test_a_break_glass_link_expires(passwords_off):
    UserFactory(username="root", is_superuser=True, is_staff=True)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        path = break_glass_link("root")
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 16, tzinfo=datetime.UTC), tick=False):
        response = Client().post(path)
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(kind=EventKind.SIGN_IN).exists()


def test_break_glass_can_make_the_admin_account(passwords_off):
    path = break_glass_link("emergency", "--create")
    browser = Client()
    browser.post(path)
    assert browser.get("/").wsgi_request.user.username == "emergency"
    user = User.objects.get(username="emergency")
    assert (user.is_superuser, user.has_usable_password()) == (True, False)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (None, "No account is named 'ghost' (add --create to make it)."),
        ({"is_superuser": False}, "ghost is not an administrator: a break-glass link is for administrators."),
        (
            {"is_superuser": True, "is_active": False},
            "ghost is deactivated: reactivate it first (manage.py shell, or the admin).",
        ),
    ],
)
def test_break_glass_refuses_accounts_that_are_not_active_admins(passwords_off, make, message):
    if make is not None:
        UserFactory(username="ghost", **make)
    with pytest.raises(CommandError) as refused:
        call_command("break_glass", "ghost", stdout=io.StringIO())
    assert str(refused.value) == message
    assert not AuditEvent.objects.exists()


def test_a_break_glass_link_asks_for_the_second_factor_of_an_account_that_has_one(passwords_off):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
    browser = Client()
    response = browser.post(break_glass_link("root"))
    assert response["Location"] == "/accounts/login/code/"
    assert not browser.get("/accounts/login/").wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/reset/",
        "/accounts/password/reset/MQ/set-password/",
        "/accounts/password/change/",
        "/accounts/invitation/MQ/abc-123/",
    ],
)
def test_with_passwords_off_the_password_pages_send_back_to_the_login_page(client, passwords_off, path):
    client.force_login(UserFactory(username="paula"))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_with_passwords_off_no_page_offers_to_change_a_password(client, passwords_off):
    client.force_login(UserFactory(username="paula", roles=["PMO"]))
    page = client.get("/accounts/security/").content.decode()
    assert "/accounts/password/change/" not in page
