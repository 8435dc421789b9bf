"""Password reset by e-mail and password change, for every user (not only staff)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from tests.factories import UserFactory

OLD = "correct horse battery staple"
NEW = "a brand new passphrase 42"
SENT = "/accounts/password/reset/sent/"
LINK = re.compile(r"https://bearing\.example\.org(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def erin(db):
    return UserFactory(username="erin", email="erin@example.org")


def log_in(client, username: str, password: str) -> int:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code


@pytest.mark.django_db
def test_the_login_page_links_to_the_password_reset(client):
    # when
    page = client.get("/accounts/login/").content.decode()
    # then
    assert '<a href="/accounts/password/reset/">Forgot your password?</a>' in page


def test_a_reset_link_sent_by_e_mail_sets_a_new_password_once(client, erin, settings):
    # given
    settings.BEARING_BASE_URL = "https://bearing.example.org/"
    # when: erin asks for a link (the request claims another host: the link must not use it)
    asked = client.post("/accounts/password/reset/", {"email": "ERIN@example.org"}, HTTP_HOST="localhost")
    # then: one e-mail to erin with a link to Bearing's own address
    assert (asked.status_code, asked["Location"]) == (302, SENT)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["erin@example.org"], "Bearing: reset your password")
    ]
    path = LINK.findall(str(mail.outbox[0].body))[0]
    # when: she follows it and chooses a new password
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    # then
    assert (done.status_code, done["Location"]) == (302, "/accounts/password/reset/done/")
    client.logout()
    assert log_in(client, "erin", OLD) == 200  # the old password no longer works: the form again
    assert log_in(client, "erin", NEW) == 302
    # and the link does not work a second time
    client.logout()
    assert client.get(path, follow=True).context["validlink"] is False


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client, erin):
    # when
    known = client.post("/accounts/password/reset/", {"email": "erin@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    # then: the same redirect, so nobody learns which addresses have accounts
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"]) == (302, SENT)
    assert [m.to for m in mail.outbox] == [["erin@example.org"]]


def test_a_deactivated_account_gets_no_reset_link(client, erin):
    # given
    erin.is_active = False
    erin.save()
    # when
    response = client.post("/accounts/password/reset/", {"email": "erin@example.org"})
    # then
    assert (response.status_code, response["Location"]) == (302, SENT)
    assert mail.outbox == []


def test_a_user_without_a_bearing_role_changes_their_password(client, outsider):
    # given: not staff, no role
    client.force_login(outsider)
    # when
    page = client.get("/accounts/password/change/")
    changed = client.post(
        "/accounts/password/change/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    # then: still logged in, the new password is the one that works
    assert page.status_code == 200
    assert (changed.status_code, changed["Location"]) == (302, "/accounts/password/change/done/")
    assert client.get("/accounts/password/change/done/").status_code == 200
    assert User.objects.get(pk=outsider.pk).check_password(NEW)


def test_a_wrong_current_password_changes_nothing(client, outsider):
    # given
    client.force_login(outsider)
    # when
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "not it", "new_password1": NEW, "new_password2": NEW},
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "old_password": ["Your old password was entered incorrectly. Please enter it again."]
    }
    assert User.objects.get(pk=outsider.pk).check_password(OLD)


def test_the_user_menu_offers_to_change_the_password(client, executive):
    # given
    client.force_login(executive)
    # when: the menu's security page
    page = client.get("/risks/").content.decode()
    security = client.get("/accounts/security/").content.decode()
    # then
    assert '<a class="dropdown-item" href="/accounts/security/">Security</a>' in page
    assert '<a href="/accounts/password/change/">Change your password</a>' in security


@pytest.mark.django_db
def test_the_password_change_page_needs_a_login(client):
    # when
    response = client.get("/accounts/password/change/")
    # then
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/accounts/password/change/",
    )
