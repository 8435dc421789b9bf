"""An admin invites a new employee, who chooses a password from the e-mailed link and signs in; the admin
deactivates them while they are signed in; a person turns on the second factor and signs in with it."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from django.core import mail
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LINK = re.compile(r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/[^/\s]+/)")
NEW_PASSWORD = "a long new passphrase 42"


@pytest.fixture
def second_page(chromium_browser, live_server) -> Iterator[object]:
    """Another person's browser (cookies of its own)."""
    context = chromium_browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def open_accounts(page: object) -> None:
    """The admin's Accounts page, from the account menu of the top bar."""
    main = page.get_by_role("navigation", name="Main")  # type: ignore[attr-defined]
    main.locator("details.user-menu > summary").click()
    main.get_by_role("link", name="Accounts").click()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"identity-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_an_admin_invites_a_new_employee_who_signs_in_and_is_later_deactivated(page, second_page, settings):
    # given an admin
    UserFactory(
        username="ada", first_name="Ada", last_name="Admin", roles=["Admin"], is_superuser=True, is_staff=True
    )
    # when the admin invites Nina as a PMO analyst
    login(page, "ada")
    open_accounts(page)
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("E-mail").fill("nina@example.org")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("Newhire")
    page.get_by_label("PMO").check()
    shot(page, "invite")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to nina@example.org.")).to_be_visible()
    expect(page.locator(".page-header")).to_contain_text("Invited")
    # then Nina follows the e-mailed link, chooses a password and signs in
    path = LINK.findall(str(mail.outbox[-1].body))[0]
    nina = second_page
    nina.goto(path)  # type: ignore[attr-defined]
    expect(nina.get_by_role("heading", name="Choose your password")).to_be_visible()  # type: ignore[attr-defined]
    nina.locator("#id_new_password1").fill(NEW_PASSWORD)  # type: ignore[attr-defined]
    nina.locator("#id_new_password2").fill(NEW_PASSWORD)  # type: ignore[attr-defined]
    nina.get_by_role("button", name="Set password").click()  # type: ignore[attr-defined]
    login(nina, "nina", NEW_PASSWORD)
    expect(nina.get_by_role("navigation", name="Main")).to_contain_text("PMO")  # type: ignore[attr-defined]
    # and the admin sees her last sign-in, then deactivates her while she is signed in
    open_accounts(page)
    expect(page.locator("#results")).to_contain_text("nina")
    shot(page, "accounts")
    page.get_by_role("link", name="nina").click()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("Account deactivated")).to_be_visible()
    shot(page, "account-detail")
    # then her next page is the sign-in page
    nina.goto("/initiatives/")  # type: ignore[attr-defined]
    expect(nina.get_by_role("button", name="Log in")).to_be_visible()  # type: ignore[attr-defined]
    # and the audit log tells the story
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("#results tbody tr").first).to_contain_text("Deactivated")
    shot(page, "audit-log")
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_a_person_turns_on_the_second_factor_and_signs_in_with_it(page):
    # given
    UserFactory(username="erin", first_name="Erin", roles=["Executive"])
    login(page, "erin")
    # when Erin turns on the second factor from the security page
    page.locator("details.user-menu > summary").click()  # the account menu under her name
    page.get_by_role("link", name="Security").click()
    page.get_by_role("link", name="Turn on the second factor").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    shot(page, "two-factor-enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on").click()
    # then she sees her recovery codes once
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    shot(page, "two-factor-codes")
    recovery = page.locator("#recovery-codes li").first.inner_text()
    # when she signs out and in again: the password, then a recovery code
    page.get_by_role("button", name="Log out").click()
    login(page, "erin")
    expect(page.get_by_role("heading", name="Your code")).to_be_visible()
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Sign in").click()
    # then she is in, told how many recovery codes are left
    expect(page.get_by_text("You signed in with a recovery code; 9 left.")).to_be_visible()
    page.watch.assert_clean()
