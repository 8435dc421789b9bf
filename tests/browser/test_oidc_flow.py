"""A new employee signs in through the organisation's identity provider (a real one, tests/oidc_provider, in
a process of its own) with local passwords switched off, and lands with the roles of their groups; signing out
ends the provider's session too; when the directory moves them to another group, their next sign-in brings the
new role."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, allow_form_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in_at_the_directory(page: object, username: str) -> None:
    page.get_by_role("link", name="Sign in with Example directory").click()  # type: ignore[attr-defined]
    page.get_by_label("Directory username").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("Directory password").fill("directory pass 1")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in to the directory").click()  # type: ignore[attr-defined]


def test_a_new_employee_signs_in_through_the_identity_provider(page, live_server, oidc_settings, settings):
    # given local passwords are off, and Nina of the directory is in the portfolio office
    settings.BEARING_LOCAL_PASSWORDS = False
    settings.BEARING_BASE_URL = live_server.url
    allow_form_action(settings, oidc_settings.url)
    oidc_settings.allow_redirect(live_server.url)
    oidc_settings.person("nina", groups=["portfolio-office"], first_name="Nina", last_name="Newhire")
    # when she opens the initiative register: the login page offers only the provider
    page.goto("/initiatives/")
    expect(page.get_by_role("link", name="Sign in with Example directory")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "oidc-login.png"), full_page=True)
    # and signs in at the directory
    sign_in_at_the_directory(page, "nina")
    # then she is back in Bearing, on the register, as a PMO analyst
    expect(page).to_have_url(f"{live_server.url}/initiatives/")
    main = page.get_by_role("navigation", name="Main")
    expect(main).to_contain_text("PMO")
    page.screenshot(path=str(ARTIFACTS / "oidc-signed-in.png"), full_page=True)
    # when she logs out: the provider's session ends too, and she is back on Bearing's login page
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    # when the directory moves her to the executive team and she signs in again (the provider asks for her
    # password again: its session ended)
    oidc_settings.person("nina", groups=["exec-team"], first_name="Nina", last_name="Newhire")
    page.goto("/")
    sign_in_at_the_directory(page, "nina")
    # then she is an executive, no longer PMO
    expect(main).to_contain_text("Executive")
    expect(main).not_to_contain_text("PMO")
    page.watch.assert_clean()  # type: ignore[attr-defined]
