"""GET /api/v1/notifications: the caller's own notifications, newest first, by cursor; filters checked."""

from __future__ import annotations

import pytest

from events.models import Notification
from tests.api.conftest import api_as
from tests.events.support import NOW

pytestmark = pytest.mark.django_db


def test_the_api_lists_only_my_notifications_newest_first_by_cursor(manager, executive):
    for user, n in ((manager, 3), (executive, 1)):
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user,
                    event_id=i + 1,
                    kind="decision.recorded",
                    title=f"<b>{user.username} {i}</b>",
                    url="/",
                    created_at=NOW,
                )
                for i in range(n)
            ]
        )
    Notification.objects.filter(user=manager, event_id=1).update(read_at=NOW)
    api = api_as(manager, scope="read")

    first = api.get("notifications?limit=2")
    assert first.status_code == 200
    assert [n["title"] for n in first.data["items"]] == ["<b>manager 2</b>", "<b>manager 1</b>"]
    assert first.data["items"][0]["read_at"] is None
    second = api.get(f"notifications?limit=2&cursor={first.data['next_cursor']}")
    assert [(n["title"], n["read_at"]) for n in second.data["items"]] == [
        ("<b>manager 0</b>", "2026-11-23T09:00:00Z")
    ]
    assert second.data["next_cursor"] is None
    assert [n["event_id"] for n in api.get("notifications?state=unread").data["items"]] == [3, 2]


@pytest.mark.parametrize("query", ["kind=nope", "state=maybe", "cursor=abc", "limit=0", "kind=" + "x" * 100])
def test_bad_filters_are_refused_with_the_one_error_shape(manager, query):
    response = api_as(manager).get(f"notifications?{query}")
    assert response.status_code in (400, 422)
    assert set(response.data["error"]) == {"status", "code", "message", "fields"}


def test_an_outsider_gets_no_notifications(client, outsider):
    client.force_login(outsider)
    assert client.get("/api/v1/notifications").status_code == 403
