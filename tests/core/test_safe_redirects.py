"""Return targets (`next`) are followed only to pages of this site; a hostile one falls back to the default,
and never undoes or fails a save that was made."""

from __future__ import annotations

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.redirects import is_local_path, next_url, safe_next
from steering.models import ActionItem, ActionStatus
from tests.factories import CheckpointReviewFactory, InitiativeFactory

D = datetime.date
HTMX = {"headers": {"HX-Request": "true"}}
HOSTILE = [
    "bogus",
    "action-list",
    "steering:action-list",
    "//evil.example",
    "///evil.example",
    "https://evil.example/",
    "http://testserver/steering/actions/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/ok\r\nSet-Cookie: x=1",
    "/\t/evil.example",
    "/ok\x00",
    " /steering/actions/",
    "/" + "x" * 2000,
    "",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_target_that_is_not_a_path_of_this_site_falls_back_to_the_default(target):
    # given
    request = RequestFactory().get("/", {"next": target})

    # when
    chosen = safe_next(request, target, "/home/")

    # then
    assert chosen == "/home/"


@pytest.mark.parametrize(
    "target", ["/steering/actions/?mine=on", "/initiatives/12/#risks", "/objectives/", "/x" * 999]
)
def test_a_path_of_this_site_is_followed(target):
    # given
    request = RequestFactory().get("/")

    # when
    chosen = safe_next(request, target, "/home/")

    # then
    assert chosen == target


def test_is_local_path_needs_one_leading_slash_and_nothing_unprintable():
    assert [is_local_path(t) for t in ["/a", "a", "//a", "/a\\b", "/a b", "/a\x7f", "/" * 1]] == [
        True,
        False,
        False,
        False,
        False,
        False,
        True,
    ]


def test_next_url_reads_the_posted_target_before_the_query_string():
    # given
    request = RequestFactory().post("/x/?next=/from-query/", {"next": "/from-form/"})
    bogus = RequestFactory().post("/x/?next=/from-query/", {"next": "bogus"})
    plain = RequestFactory().get("/x/", {"next": "/from-query/"})

    # when
    chosen = [next_url(request, "/d/"), next_url(bogus, "/d/"), next_url(plain, "/d/")]

    # then
    assert chosen == ["/from-form/", "/d/", "/from-query/"]


@pytest.fixture
def action(manager, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC), tick=False)
    initiative = InitiativeFactory(code="ECOM-1", manager=manager)
    review = CheckpointReviewFactory(initiative=initiative)
    return ActionItem.objects.create(
        initiative=initiative,
        review=review,
        title="Confirm the vendor",
        owner=manager,
        due_date=D(2026, 12, 1),
    )


@pytest.mark.parametrize(
    "target", ["bogus", "//evil.example", "/ok\r\nSet-Cookie: x=1", "https://evil.example/"]
)
def test_marking_an_action_done_with_a_hostile_next_saves_and_returns_to_the_action_list(
    client, action, manager, target
):
    # given
    client.force_login(manager)

    # when
    response = client.post(
        reverse("steering:action-status", args=[action.pk]),
        {"status": "done", "version": "1", "note": "The vendor confirmed.", "next": target},
    )

    # then
    assert (response.status_code, response["Location"]) == (302, "/steering/actions/")
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.status, stored.version) == (ActionStatus.DONE, 2)


def test_the_action_row_htmx_swaps_in_carries_a_safe_next(client, action, manager):
    # given
    client.force_login(manager)

    # when
    response = client.post(
        reverse("steering:action-status", args=[action.pk]),
        {"status": "done", "version": "1", "note": "The vendor confirmed.", "next": "bogus"},
        **HTMX,
    )

    # then
    assert response.status_code == 200
    assert '<input type="hidden" name="next" value="/steering/actions/">' in response.content.decode()
    assert ActionItem.objects.get(pk=action.pk).status == ActionStatus.DONE


@pytest.mark.parametrize("target", ["bogus", "//evil.example", "javascript:alert(1)"])
def test_editing_an_action_with_a_hostile_next_saves_and_returns_to_the_action_list(
    client, action, manager, target
):
    # given
    client.force_login(manager)
    url = reverse("steering:action-edit", args=[action.pk])

    # when
    form = client.get(url, {"next": target})
    response = client.post(
        f"{url}?next={target}",
        {
            "status": "done",
            "completed_on": "2026-11-20",
            "note": "The vendor confirmed.",
            "version": "1",
            "next": target,
        },
    )

    # then
    assert form.status_code == 200
    assert 'href="/steering/actions/">Cancel</a>' in form.content.decode()
    assert (response.status_code, response["Location"]) == (302, "/steering/actions/")
    stored = ActionItem.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_on, stored.version) == (ActionStatus.DONE, D(2026, 11, 20), 2)


def test_editing_an_action_returns_to_the_filtered_list_it_came_from(client, action, manager):
    # given
    client.force_login(manager)

    # when
    response = client.post(
        reverse("steering:action-edit", args=[action.pk]),
        {
            "status": "done",
            "version": "1",
            "note": "The vendor confirmed.",
            "next": "/steering/actions/?mine=on",
        },
    )

    # then
    assert (response.status_code, response["Location"]) == (302, "/steering/actions/?mine=on")
