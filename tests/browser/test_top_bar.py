"""The top bar fits a 1,440-pixel screen for every role, the admin's (the most links) and a long name
included: nothing is cut off and the page never scrolls sideways."""

from __future__ import annotations

import pytest

from core import roles
from tests.browser.conftest import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = """() => ({
  page: document.documentElement.scrollWidth <= window.innerWidth,
  logout: document.querySelector('nav form[action$="/logout/"] button').getBoundingClientRect().right
    <= window.innerWidth,
})"""


@pytest.mark.parametrize("role", [roles.ADMIN, roles.PMO])
def test_the_top_bar_fits_1440_pixels(page, role):
    # given a person with a long name in the role with the widest bar
    UserFactory(
        username="wide",
        first_name="Maximiliana",
        last_name="Oppenheimer-Lindqvist",
        roles=[role],
        is_staff=role == roles.ADMIN,
        is_superuser=role == roles.ADMIN,
    )
    login(page, "wide")

    # when the dashboard is open
    page.goto("/dashboard/")

    # then the bar and the page fit the screen
    assert page.evaluate(FITS) == {"page": True, "logout": True}
