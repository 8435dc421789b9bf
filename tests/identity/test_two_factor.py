"""The second factor of local accounts: enrol with a QR code, sign in with a code or a recovery code, and,
when the configuration requires it, admins cannot use Bearing without one."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity.models import AuditEvent, EventKind
from tests.identity.conftest import sign_in

T0 = datetime.datetime(2026, 6, 1, 12, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def at(time_machine):
    def move(**delta: float) -> None:
        time_machine.move_to(T0 + datetime.timedelta(**delta), tick=False)

    move()
    return move


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key):06d}"


def enrol(client: Client, user) -> list[str]:
    """Open the page (it makes the secret), then confirm with the app's current code."""
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    done = client.post("/accounts/two-factor/", {"action": "enrol", "code": code_for(user)})
    assert done.status_code == 200
    return done.context["codes"]


def test_enrolling_shows_a_qr_code_drawn_here_and_the_key(client, erin, at):
    # given
    client.force_login(erin)
    # when
    page = client.get("/accounts/two-factor/")
    # then
    html = page.content.decode()
    assert '<img src="data:image/svg+xml;base64,' in html
    device = TOTPDevice.objects.get(user=erin)
    assert device.confirmed is False
    assert page.context["secret"].replace(" ", "") == __import__("base64").b32encode(device.bin_key).decode()
    # and opening it again shows the same secret
    assert client.get("/accounts/two-factor/").context["secret"] == page.context["secret"]


def test_enrolling_with_the_right_code_turns_it_on_and_shows_ten_recovery_codes_once(client, erin, at):
    # given
    client.force_login(erin)
    # when
    codes = enrol(client, erin)
    # then
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert sorted(StaticToken.objects.filter(device__user=erin).values_list("token", flat=True)) == sorted(
        codes
    )
    assert TOTPDevice.objects.get(user=erin).confirmed is True
    assert list(AuditEvent.objects.filter(subject=erin).values_list("kind", flat=True).order_by("pk")) == [
        "sign_in",
        "two_factor_on",
    ]
    # and the page shows them no more
    at(seconds=31)
    assert client.get("/accounts/two-factor/").context["codes"] == []


def test_a_wrong_enrolment_code_is_refused_and_nothing_turns_on(client, erin, at):
    # given
    client.force_login(erin)
    client.get("/accounts/two-factor/")
    # when
    answer = client.post("/accounts/two-factor/", {"action": "enrol", "code": "000000"})
    # then
    assert answer.status_code == 422
    assert answer.context["form"].errors == {"code": ["That code is not right: try the current one."]}
    assert (TOTPDevice.objects.get(user=erin).confirmed, StaticToken.objects.count()) == (False, 0)


def test_signing_in_asks_for_the_code_after_the_password(erin, at):
    # given
    setup = Client()
    setup.force_login(erin)
    enrol(setup, erin)
    at(minutes=1)
    browser = Client()
    # when: the password alone
    first = browser.post(
        "/accounts/login/",
        {"username": "erin", "password": "correct horse battery staple", "next": "/risks/"},
    )
    # then: not signed in yet
    assert (first.status_code, first["Location"]) == (302, "/accounts/login/code/")
    assert browser.get("/initiatives/").status_code == 302
    # when: a wrong code, then the right one
    wrong = browser.post("/accounts/login/code/", {"code": "123456"})
    at(minutes=1, seconds=2)  # django-otp makes a device wait a second after a wrong code, two after two...
    right = browser.post("/accounts/login/code/", {"code": code_for(erin)})
    # then
    assert wrong.status_code == 422
    assert (right.status_code, right["Location"]) == (302, "/risks/")
    assert browser.get("/initiatives/").status_code == 200
    failed = AuditEvent.objects.get(kind=EventKind.SIGN_IN_FAILED)
    assert (failed.subject, failed.detail) == (erin, "wrong second-factor code")


def test_a_recovery_code_signs_in_once(erin, at):
    # given
    setup = Client()
    setup.force_login(erin)
    codes = enrol(setup, erin)
    # when
    browsers = [Client(), Client()]
    answers = []
    for browser in browsers:
        sign_in(browser, "erin")
        answers.append(browser.post("/accounts/login/code/", {"code": codes[0].upper()}).status_code)
    # then
    assert answers == [302, 422]
    used = AuditEvent.objects.get(kind=EventKind.RECOVERY_CODE_USED)
    assert (used.subject, used.detail) == (erin, "9 left")


def test_five_wrong_codes_send_the_person_back_to_the_password(erin, at):
    # given
    setup = Client()
    setup.force_login(erin)
    enrol(setup, erin)
    browser = Client()
    sign_in(browser, "erin")
    # when
    statuses = [browser.post("/accounts/login/code/", {"code": "111111"}).status_code for _ in range(5)]
    # then
    assert statuses == [422, 422, 422, 422, 302]
    assert browser.post("/accounts/login/code/", {"code": code_for(erin)})["Location"] == "/accounts/login/"


def test_the_code_step_expires_after_five_minutes(erin, at):
    # given
    setup = Client()
    setup.force_login(erin)
    enrol(setup, erin)
    browser = Client()
    sign_in(browser, "erin")
    # when
    at(minutes=5, seconds=1)
    answer = browser.post("/accounts/login/code/", {"code": code_for(erin)})
    # then
    assert answer["Location"] == "/accounts/login/"
    assert browser.get("/initiatives/").status_code == 302


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client, db):
    assert client.get("/accounts/login/code/")["Location"] == "/accounts/login/"


def test_without_a_second_factor_the_password_signs_in(client, erin):
    assert sign_in(client, "erin")["Location"] == "/"


def test_turning_it_off_needs_a_current_code(client, erin, at):
    # given
    client.force_login(erin)
    enrol(client, erin)
    at(seconds=31)
    # when
    refused = client.post("/accounts/two-factor/", {"action": "off", "code": "000000"})
    at(seconds=33)
    done = client.post("/accounts/two-factor/", {"action": "off", "code": code_for(erin)})
    # then
    assert refused.status_code == 422
    assert done.status_code == 302
    assert (TOTPDevice.objects.filter(user=erin).count(), StaticToken.objects.count()) == (0, 0)


def test_new_recovery_codes_replace_the_old(client, erin, at):
    # given
    client.force_login(erin)
    old = enrol(client, erin)
    at(seconds=31)
    # when
    new = client.post("/accounts/two-factor/", {"action": "renew", "code": code_for(erin)}).context["codes"]
    # then
    assert len(new) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert set(old) & set(new) == set()


def test_an_admin_turns_off_someones_second_factor(admin_client, admin_user, erin, at):
    # given
    browser = Client()
    browser.force_login(erin)
    enrol(browser, erin)
    # when
    admin_client.post(f"/accounts/people/{erin.pk}/two-factor-off/")
    # then
    assert TOTPDevice.objects.filter(user=erin).count() == 0
    event = AuditEvent.objects.get(kind=EventKind.TWO_FACTOR_OFF)
    assert (event.subject, event.actor, event.detail) == (erin, admin_user, "by admin")


@pytest.mark.parametrize(
    "persona", ["executive", "pmo", "manager", "steering_member", "outsider"], indirect=True
)
def test_no_one_but_an_admin_turns_off_someone_elses_second_factor(client, persona, erin, at):
    # given
    browser = Client()
    browser.force_login(erin)
    enrol(browser, erin)
    client.force_login(persona)
    # when
    answer = client.post(f"/accounts/people/{erin.pk}/two-factor-off/")
    # then
    assert answer.status_code == 403
    assert TOTPDevice.objects.filter(user=erin, confirmed=True).count() == 1


def test_when_required_an_admin_reaches_only_the_enrolment_until_it_is_done(settings, admin_user, at):
    # given
    settings.BEARING_REQUIRE_2FA_FOR_ADMINS = True
    browser = Client()
    sign_in(browser, "admin")
    # when
    answer = browser.get("/accounts/people/")
    # then
    assert (answer.status_code, answer["Location"]) == (
        302,
        "/accounts/two-factor/?next=%2Faccounts%2Fpeople%2F",
    )
    page = browser.get("/accounts/two-factor/?next=/accounts/people/")
    assert page.context["required"] is True
    # when enrolled
    enrol(browser, admin_user)
    # then
    assert browser.get("/accounts/people/").status_code == 200
    # and they cannot turn it off themself
    at(seconds=31)
    off = browser.post("/accounts/two-factor/", {"action": "off", "code": code_for(admin_user)})
    assert off.context["form"].non_field_errors() == [
        "Administrators must keep a second factor: it is required here."
    ]
    assert TOTPDevice.objects.filter(user=admin_user).count() == 1


def test_when_required_an_enrolled_admin_signs_in_with_the_code_and_others_need_none(
    settings, admin_user, pmo, at
):
    # given
    settings.BEARING_REQUIRE_2FA_FOR_ADMINS = True
    setup = Client()
    setup.force_login(admin_user)
    enrol(setup, admin_user)
    at(minutes=1)
    # when
    admin_browser, pmo_browser = Client(), Client()
    sign_in(admin_browser, "admin")
    admin_browser.post("/accounts/login/code/", {"code": code_for(admin_user)})
    sign_in(pmo_browser, "pmo")
    # then
    assert admin_browser.get("/accounts/people/").status_code == 200
    assert pmo_browser.get("/initiatives/").status_code == 200


def test_when_required_a_session_from_before_is_verified_with_a_code(settings, admin_user, at):
    # given: an admin enrolled, signed in before the requirement (no code asked then)
    setup = Client()
    setup.force_login(admin_user)
    enrol(setup, admin_user)
    old = Client()
    old.force_login(admin_user)
    settings.BEARING_REQUIRE_2FA_FOR_ADMINS = True
    at(minutes=1)
    # when
    sent = old.get("/initiatives/")
    verified = old.post(
        "/accounts/two-factor/", {"action": "verify", "code": code_for(admin_user), "next": "/initiatives/"}
    )
    # then
    assert sent["Location"] == "/accounts/two-factor/?next=%2Finitiatives%2F"
    assert (verified.status_code, verified["Location"]) == (302, "/initiatives/")
    assert old.get("/initiatives/").status_code == 200


def test_the_break_glass_command_removes_an_accounts_second_factor(client, admin_user, at):
    # given
    from io import StringIO

    from django.core.management import CommandError, call_command

    client.force_login(admin_user)
    enrol(client, admin_user)
    out = StringIO()
    # when
    call_command("two_factor_off", "admin", stdout=out)
    # then
    assert out.getvalue() == "The second factor of admin is off.\n"
    assert (TOTPDevice.objects.count(), StaticToken.objects.count()) == (0, 0)
    event = AuditEvent.objects.get(kind=EventKind.TWO_FACTOR_OFF)
    assert (event.subject, event.actor, event.detail) == (admin_user, None, "from the server's shell")
    with pytest.raises(CommandError, match="No account is named 'nobody'."):
        call_command("two_factor_off", "nobody")
