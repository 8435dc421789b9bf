"""A new employee signs in through the organisation's SAML identity provider (a real one, tests/saml_idp, in
a process of its own, signing its responses with a certificate made for the run) with local passwords
switched off, and lands with the roles of their groups; signing out ends the provider's session too; when the
directory moves them to another group, their next sign-in brings the new role."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from identity import saml
from tests.browser.conftest import ARTIFACTS, allow_form_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in_at_the_directory(page: object, username: str) -> None:
    page.get_by_role("link", name="Sign in with Example SAML directory").click()  # type: ignore[attr-defined]
    page.get_by_label("Directory username").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("Directory password").fill("directory pass 1")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in to the directory").click()  # type: ignore[attr-defined]


def test_a_new_employee_signs_in_through_the_saml_provider(page, live_server, saml_settings, settings):
    # given local passwords are off, Bearing is reached at the live server, and Nina of the directory is in
    # the portfolio office; the logout button may lead on to the provider (as config.settings allows for the
    # provider named in the environment)
    settings.BEARING_LOCAL_PASSWORDS = False
    settings.BEARING_BASE_URL = live_server.url
    allow_form_action(settings, saml_settings.url)
    saml_settings.serve(live_server.url)
    saml_settings.person("nina", groups=["portfolio-office"], first_name="Nina", last_name="Newhire")
    # when she opens the initiative register: the login page offers only the provider
    page.goto("/initiatives/")
    expect(page.get_by_role("link", name="Sign in with Example SAML directory")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "saml-login.png"), full_page=True)
    # and signs in at the directory (whose page posts the signed answer back to Bearing)
    sign_in_at_the_directory(page, "nina")
    # then she is back in Bearing, on the register, as a PMO analyst
    expect(page).to_have_url(f"{live_server.url}/initiatives/")
    main = page.get_by_role("navigation", name="Main")
    expect(main).to_contain_text("PMO")
    page.screenshot(path=str(ARTIFACTS / "saml-signed-in.png"), full_page=True)
    # when she logs out, she is signed out at the provider too and back on the login page
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text(saml.SIGNED_OUT)).to_be_visible()
    assert saml_settings.log()[-1]["logout"] == "nina"
    # when the directory moves her to the executive team and she signs in again
    saml_settings.person("nina", groups=["exec-team"], first_name="Nina", last_name="Newhire")
    page.goto("/")
    sign_in_at_the_directory(page, "nina")
    # then she is an executive, no longer PMO
    expect(main).to_contain_text("Executive")
    expect(main).not_to_contain_text("PMO")
    page.watch.assert_clean()  # type: ignore[attr-defined]
