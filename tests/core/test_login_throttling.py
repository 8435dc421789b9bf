"""Login throttling (django-axes with Bearing's rules): password guessing is paused per address and per
account, the real user from their own address is not locked out by others, and every pause ends."""

from __future__ import annotations

import datetime

import pytest
from django.test import RequestFactory

from core.client_ip import client_ip
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
START = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC)
PAUSED = "Logging in is paused."


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def erin(db):
    return UserFactory(username="erin")


def attempt(client, username: str, password: str, address: str = "203.0.113.7", **headers: str) -> int:
    """One login from `address`; the status is 302 when it let the user in."""
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )
    if response.status_code == 302:
        client.logout()
    return response.status_code


def test_five_wrong_passwords_pause_the_account_with_a_clear_message_for_15_minutes(client, clock, erin):
    # given: five wrong passwords
    answers = [attempt(client, "erin", f"guess {n}") for n in range(5)]
    # when: the right one, at once and 14 minutes later
    paused = client.post(
        "/accounts/login/", {"username": "erin", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    clock.shift(datetime.timedelta(minutes=14))
    still_paused = attempt(client, "erin", PASSWORD)
    clock.shift(datetime.timedelta(minutes=1, seconds=1))
    after = attempt(client, "erin", PASSWORD)
    # then: the login form said so in words, and the pause ended after 15 minutes
    assert answers == [200, 200, 200, 200, 429]
    assert paused.status_code == 429
    assert PAUSED in paused.content.decode()
    assert "Try again in 15 minutes" in paused.content.decode()
    assert paused.context["form"]["username"].value() == "erin"
    assert (still_paused, after) == (429, 302)


def test_failures_during_a_pause_do_not_extend_it(client, clock, erin):
    # given
    for n in range(5):
        attempt(client, "erin", f"guess {n}")
    # when: the guessing goes on every minute of the pause
    during = []
    for _ in range(14):
        clock.shift(datetime.timedelta(minutes=1))
        during.append(attempt(client, "erin", "still guessing"))
    clock.shift(datetime.timedelta(minutes=1, seconds=1))
    # then
    assert set(during) == {429}
    assert attempt(client, "erin", PASSWORD) == 302


def test_one_account_guessed_from_many_addresses_is_paused_for_new_addresses(client, clock, erin):
    # given: the real user logged in once from home
    assert attempt(client, "erin", PASSWORD, "198.51.100.10") == 302
    # when: five guesses from five other addresses
    guesses = [attempt(client, "erin", f"guess {n}", f"192.0.2.{n + 1}") for n in range(5)]
    # then: a sixth address is paused even with the right password, but erin at home is not
    assert guesses == [200, 200, 200, 200, 429]
    assert attempt(client, "erin", PASSWORD, "192.0.2.99") == 429
    assert attempt(client, "erin", PASSWORD, "198.51.100.10") == 302


def test_the_real_user_from_their_own_address_is_paused_by_their_own_failures(client, clock, erin):
    # given
    assert attempt(client, "erin", PASSWORD, "198.51.100.10") == 302
    # when
    answers = [attempt(client, "erin", f"typo {n}", "198.51.100.10") for n in range(5)]
    # then
    assert answers == [200, 200, 200, 200, 429]
    assert attempt(client, "erin", PASSWORD, "198.51.100.10") == 429


def test_many_accounts_from_one_address_pause_that_address(client, clock, erin):
    # given: five accounts tried once each from one address
    for n in range(5):
        attempt(client, f"victim{n}", "123456", "192.0.2.50")
    # then: that address is paused for everyone, another address is not
    assert attempt(client, "erin", PASSWORD, "192.0.2.50") == 429
    assert attempt(client, "erin", PASSWORD, "192.0.2.51") == 302


def test_x_forwarded_for_is_ignored_unless_bearing_is_behind_a_proxy(client, clock, erin, settings):
    # given: no proxy; the guesser sends a different X-Forwarded-For each time from one address
    settings.BEARING_BEHIND_PROXY = False
    answers = [
        attempt(client, f"victim{n}", "123456", "192.0.2.50", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
        for n in range(5)
    ]
    # then: still one address
    assert answers == [200, 200, 200, 200, 429]
    assert attempt(client, "erin", PASSWORD, "192.0.2.50", HTTP_X_FORWARDED_FOR="10.1.1.1") == 429


def test_behind_a_proxy_the_address_the_proxy_appended_counts_not_what_the_client_sent(
    client, clock, erin, settings
):
    # given: one proxy (its own address is REMOTE_ADDR); the guesser prepends a made-up address each time
    settings.BEARING_BEHIND_PROXY = True
    settings.BEARING_PROXY_COUNT = 1
    answers = [
        attempt(client, f"victim{n}", "123456", "10.0.0.2", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 192.0.2.50")
        for n in range(5)
    ]
    # then: the guesser (192.0.2.50) is paused, another client behind the same proxy is not
    assert answers == [200, 200, 200, 200, 429]
    assert attempt(client, "erin", PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.50") == 429
    assert attempt(client, "erin", PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.51") == 302


@pytest.mark.parametrize(
    ("behind_proxy", "count", "forwarded", "expected"),
    [
        (False, 1, "192.0.2.1", "10.0.0.2"),
        (True, 1, "192.0.2.1", "192.0.2.1"),
        (True, 1, "6.6.6.6, 192.0.2.1", "192.0.2.1"),
        (True, 2, "6.6.6.6, 192.0.2.1, 10.0.0.9", "192.0.2.1"),
        (True, 2, "192.0.2.1", "10.0.0.2"),  # fewer hops than proxies: the header is not ours
        (True, 1, "not-an-address", "10.0.0.2"),
        (True, 1, "", "10.0.0.2"),
        (True, 1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_ip(settings, behind_proxy, count, forwarded, expected):
    # given
    settings.BEARING_BEHIND_PROXY = behind_proxy
    settings.BEARING_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    # when / then
    assert client_ip(request) == expected
