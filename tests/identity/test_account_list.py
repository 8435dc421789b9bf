"""The accounts page: every account with its roles, status and last sign-in, searchable and bounded."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User

from core import roles
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def shown(answer) -> list[tuple[str, list[str]]]:
    return [(user.username, held) for user, held in answer.context["page"].object_list]


def test_the_list_shows_roles_status_and_last_sign_in(admin_client, erin):
    # given
    invited = UserFactory(username="ivy", roles=[roles.PMO])
    invited.set_unusable_password()
    invited.save()
    UserFactory(username="gone", is_active=False, roles=[roles.MANAGER])
    User.objects.filter(pk=erin.pk).update(
        last_login=datetime.datetime(2026, 4, 2, 8, 30, tzinfo=datetime.UTC)
    )
    # when
    answer = admin_client.get("/accounts/people/")
    page = answer.content.decode()
    # then
    assert shown(answer) == [
        ("admin", ["Admin"]),
        ("erin", ["Executive"]),
        ("gone", ["Initiative manager"]),
        ("ivy", ["PMO"]),
    ]
    assert '<time datetime="2026-04-02T08:30:00+00:00">2 Apr 2026, 08:30</time>' in page
    assert page.count("Deactivated</span>") == 1
    assert page.count("Invited</span>") == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=erin", ["erin"]),
        ("q=example+ERIN", ["erin"]),
        ("q=erin%40example.org", ["erin"]),
        ("status=invited", ["ivy"]),
        ("status=deactivated", ["gone"]),
        ("status=active", ["admin", "erin"]),
        ("role=Admin", ["admin"]),
        ("role=none", ["gone"]),
        ("role=PMO", ["ivy"]),
    ],
)
def test_search_and_filters(admin_client, erin, query, expected):
    # given
    invited = UserFactory(username="ivy", email="ivy@example.org", roles=[roles.PMO])
    invited.set_unusable_password()
    invited.save()
    UserFactory(username="gone", email="gone@example.org", is_active=False)
    # when
    answer = admin_client.get(f"/accounts/people/?{query}")
    # then
    assert [name for name, _held in shown(answer)] == expected


def test_the_list_is_fifty_a_page(admin_client, db):
    # given
    UserFactory.create_batch(60)
    # when
    first = admin_client.get("/accounts/people/")
    second = admin_client.get("/accounts/people/?page=2", **HTMX)
    # then
    assert (str(first.context["page"].tally), len(first.context["page"].object_list)) == ("61", 50)
    assert len(second.context["page"].object_list) == 11
    assert '<nav class="navbar' not in second.content.decode()


@pytest.mark.parametrize("size", [5, 80])
def test_the_query_count_does_not_grow_with_the_accounts(admin_client, size, django_assert_max_num_queries):
    # given
    UserFactory.create_batch(size, roles=[roles.EXECUTIVE, roles.PMO])
    # when / then: session, user, count, keys, rows, their groups
    with django_assert_max_num_queries(7):
        assert admin_client.get("/accounts/people/").status_code == 200


def test_names_typed_into_an_account_are_shown_as_text(admin_client, db):
    # given
    UserFactory(username="x", first_name="<script>alert(1)</script>", last_name='"quoted"')
    # when
    page = admin_client.get("/accounts/people/").content.decode()
    # then
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;" in page
    assert "<script>alert(1)" not in page
