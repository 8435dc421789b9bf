"""Signing in through a real OpenID Connect provider (tests/oidc_provider, in a process of its own): a new
employee's account is made with the roles of their groups, the roles follow the groups at each sign-in, and a
sign-in that does not match, is refused by the provider, or is for a deactivated account is refused with a
plain message and written to the audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core import roles
from identity import oidc, provider
from identity.models import AuditEvent, EventKind
from identity.services import roles_held
from tests.factories import UserFactory
from tests.identity.oidc_flow import provider_answer, sign_in_through_provider
from tests.identity.support import events, messages_of

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_a_new_employee_signs_in_and_gets_the_roles_of_their_groups(client, oidc_settings):
    # given Nina of the directory, in the portfolio office and a group Bearing does not map
    oidc_settings.person(
        "nina",
        groups=["portfolio-office", "canteen"],
        email="nina@example.org",
        first_name="Nina",
        last_name="Newhire",
    )
    # when she signs in through the provider
    response = sign_in_through_provider(client, oidc_settings, "nina")
    # then she lands on the home page, signed in, with an account made from her claims and the PMO role
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


def test_the_roles_follow_the_groups_at_the_next_sign_in(client, oidc_settings):
    # given Omar, signed in once as a PMO analyst and a steering member, and made Admin in Bearing
    oidc_settings.person("omar", groups=["portfolio-office", "steering"])
    sign_in_through_provider(client, oidc_settings, "omar")
    omar = User.objects.get(username="omar")
    omar.is_superuser = True
    omar.save()
    assert roles_held(omar) == {roles.PMO, roles.STEERING, roles.ADMIN}
    client.logout()
    # when the directory moves him from the portfolio office and steering to the executive team
    oidc_settings.person("omar", groups=["cio-office"])
    response = sign_in_through_provider(client, oidc_settings, "omar")
    # then his next sign-in gives him Executive and takes PMO and Steering; Admin, which the rule does not
    # name, stays as Bearing's admins set it
    assert response.status_code == 302
    omar.refresh_from_db()
    assert roles_held(omar) == {roles.EXECUTIVE, roles.ADMIN}
    change = AuditEvent.objects.filter(kind=EventKind.ROLES_CHANGED).latest("pk")
    assert change.detail == "PMO, Steering member, Admin → Executive, Admin (the identity provider's groups)"


def test_an_existing_account_of_the_same_username_is_the_one_signed_in(client, oidc_settings):
    # given a local account "Pia" (invited before single sign-on) and Pia of the directory
    pia = UserFactory(username="Pia", roles=[roles.MANAGER])
    oidc_settings.person("pia", groups=["exec-team"])
    # when she signs in through the provider
    sign_in_through_provider(client, oidc_settings, "pia")
    # then it is her account, now also an executive; no second account is made
    assert User.objects.filter(username__iexact="pia").count() == 1
    assert client.get("/").wsgi_request.user == pia
    assert roles_held(pia) == {roles.MANAGER, roles.EXECUTIVE}


def test_a_deactivated_account_cannot_sign_in_through_the_provider(client, oidc_settings):
    # given Dora, deactivated in Bearing but still in the directory
    dora = UserFactory(username="dora", roles=[roles.PMO], is_active=False)
    oidc_settings.person("dora", groups=["portfolio-office"])
    # when she signs in through the provider
    response = sign_in_through_provider(client, oidc_settings, "dora")
    # then she is back on the login page, told why, not signed in, and the failure is logged
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == [provider.DEACTIVATED]
    assert not client.get("/accounts/login/").wsgi_request.user.is_authenticated
    assert events()[-1] == (EventKind.SIGN_IN_FAILED, "dora", "identity provider: account deactivated")
    dora.refresh_from_db()
    assert roles_held(dora) == {roles.PMO}


def test_a_callback_from_a_sign_in_started_in_another_browser_is_refused(client, oidc_settings):
    # given a sign-in started (and finished at the provider) in one browser
    oidc_settings.person("eve", groups=["portfolio-office"])
    callback = provider_answer(client, oidc_settings, "eve")
    # when its answer arrives in another browser (its state is not that session's)
    other = Client()
    response = other.get(callback)
    # then it is refused with a plain message, nobody is signed in and no account is made
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == [oidc.STATE_MISMATCH]
    assert not User.objects.filter(username="eve").exists()
    assert events() == [(EventKind.SIGN_IN_FAILED, "", "identity provider: state did not match")]
    page = other.get("/accounts/login/")
    assert oidc.STATE_MISMATCH.replace("'", "&#x27;") in page.content.decode()


def test_an_answer_used_twice_is_refused_the_second_time(client, oidc_settings):
    oidc_settings.person("ivo", groups=["portfolio-office"])
    callback = provider_answer(client, oidc_settings, "ivo")
    assert client.get(callback)["Location"] == "/"
    client.logout()
    replay = client.get(callback)
    assert replay["Location"] == "/accounts/login/"
    assert messages_of(replay) == [oidc.STATE_MISMATCH]


def test_an_id_token_with_another_nonce_is_refused(client, oidc_settings):
    # given a sign-in whose session expects another nonce than the one the provider put in the ID token
    oidc_settings.person("nico", groups=["portfolio-office"])
    callback = provider_answer(client, oidc_settings, "nico")
    session = client.session
    states = session["oidc_states"]
    for state in states.values():
        state["nonce"] = "not-the-nonce-sent"
    session["oidc_states"] = states
    session.save()
    # when the answer arrives
    response = client.get(callback)
    # then it is refused with a plain message (no error page), and logged
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == [oidc.ANSWER_MISMATCH]
    assert not User.objects.filter(username="nico").exists()
    assert events()[-1] == (EventKind.SIGN_IN_FAILED, "", "identity provider: JWT Nonce verification failed.")


def test_a_refusal_by_the_provider_is_reported(client, oidc_settings):
    start = client.get("/accounts/login/provider/")
    state = start["Location"].split("state=")[1].split("&")[0]
    response = client.get(f"/accounts/login/provider/callback/?error=access_denied&state={state}")
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == [provider.REFUSED]
    assert events() == [(EventKind.SIGN_IN_FAILED, "", "identity provider: refused (access_denied)")]


def test_a_wrong_directory_password_leaves_bearing_untouched(client, oidc_settings):
    oidc_settings.person("gus", groups=["portfolio-office"])
    with pytest.raises(AssertionError):
        provider_answer(client, oidc_settings, "gus", password="not the password")
    assert not User.objects.filter(username="gus").exists()


def test_the_provider_pages_are_not_found_while_it_is_off(client):
    assert client.get("/accounts/login/provider/").status_code == 404
    assert client.get("/accounts/login/provider/callback/?code=x&state=y").status_code == 404


def test_an_admin_from_the_directory_is_not_asked_for_bearings_second_factor(client, oidc_settings, settings):
    # given admins must have a second factor, and the directory's IT admins are Bearing admins
    settings.BEARING_REQUIRE_2FA_FOR_ADMINS = True
    settings.BEARING_OIDC_ROLE_MAP = {roles.ADMIN: ("it-admins",)}
    oidc_settings.person("ada", groups=["it-admins"])
    # when Ada signs in through the provider (which asks for its own second factor)
    sign_in_through_provider(client, oidc_settings, "ada")
    # then she is an admin and reaches Bearing's pages without enrolling one here
    assert roles_held(User.objects.get(username="ada")) == {roles.ADMIN}
    assert client.get("/accounts/people/").status_code == 200
