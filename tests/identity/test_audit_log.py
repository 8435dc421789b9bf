"""The audit log records sign-ins, failed sign-ins and sign-outs, and its page lists them newest first, a
bounded page at a time, filtered by event and account."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from identity.models import AuditEvent, EventKind
from tests.identity.conftest import sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_sign_in_failed_sign_in_and_sign_out_are_recorded_with_the_address(client, erin, time_machine):
    # given
    time_machine.move_to(datetime.datetime(2026, 2, 3, 10, 0, tzinfo=datetime.UTC), tick=False)
    # when
    sign_in(client, "erin", "wrong password", REMOTE_ADDR="198.51.100.7")
    sign_in(client, "nobody<script>", "x", REMOTE_ADDR="198.51.100.7")
    sign_in(client, "erin", REMOTE_ADDR="198.51.100.7")
    client.post("/accounts/logout/", REMOTE_ADDR="198.51.100.7")
    # then
    rows = list(
        AuditEvent.objects.order_by("pk").values_list(
            "kind", "subject_id", "actor_id", "username", "ip_address", "at"
        )
    )
    at = datetime.datetime(2026, 2, 3, 10, 0, tzinfo=datetime.UTC)
    assert rows == [
        ("sign_in_failed", None, None, "erin", "198.51.100.7", at),
        ("sign_in_failed", None, None, "nobody<script>", "198.51.100.7", at),
        ("sign_in", erin.pk, erin.pk, "erin", "198.51.100.7", at),
        ("sign_out", erin.pk, erin.pk, "erin", "198.51.100.7", at),
    ]


def test_the_page_shows_what_was_typed_as_text(admin_client, client, erin):
    # given
    sign_in(client, '<img src=x onerror="alert(1)">', "x")
    # when
    page = admin_client.get("/accounts/audit/").content.decode()
    # then
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<img src=x" not in page


@pytest.fixture
def many_events(erin):
    """120 events: 60 failed sign-ins (a minute apart) and 60 sign-ins of erin, a minute apart after them."""
    start = timezone.make_aware(datetime.datetime(2026, 1, 1, 8, 0), datetime.UTC)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=start + datetime.timedelta(minutes=n),
                kind=EventKind.SIGN_IN_FAILED if n < 60 else EventKind.SIGN_IN,
                username="guesser" if n < 60 else "erin",
                subject=None if n < 60 else erin,
                actor=None if n < 60 else erin,
            )
            for n in range(120)
        ]
    )


def test_the_log_is_newest_first_fifty_a_page(admin_client, many_events):
    # when
    first = admin_client.get("/accounts/audit/")
    third = admin_client.get("/accounts/audit/?page=3")
    # then: 120 events and this test's admin's own sign-in
    page = first.context["page"]
    assert (str(page.tally), page.num_pages, len(page.object_list)) == ("121", 3, 50)
    assert [e.at.strftime("%H:%M") for e in page.object_list[1:3]] == ["09:59", "09:58"]
    assert [e.at.strftime("%H:%M") for e in third.context["page"].object_list[-2:]] == ["08:01", "08:00"]


def test_the_log_filters_by_event_and_account(admin_client, many_events):
    # when
    failed = admin_client.get("/accounts/audit/?kind=sign_in_failed")
    erins = admin_client.get("/accounts/audit/?q=ERIN&kind=sign_in")
    # then
    assert (str(failed.context["page"].tally), {e.username for e in failed.context["page"].object_list}) == (
        "60",
        {"guesser"},
    )
    assert str(erins.context["page"].tally) == "60"


def test_a_bad_filter_is_a_400_with_the_reason(admin_client, db):
    # when
    answer = admin_client.get("/accounts/audit/?kind=nonsense&page=0")
    # then
    assert answer.status_code == 400
    assert answer.context["form"].errors == {
        "kind": ["Select a valid choice. nonsense is not one of the available choices."],
        "page": ["Ensure this value is greater than or equal to 1."],
    }


def test_htmx_gets_the_results_alone_and_a_plain_request_the_whole_page(admin_client, many_events):
    # when
    fragment = admin_client.get("/accounts/audit/?page=2", **HTMX)
    whole = admin_client.get("/accounts/audit/?page=2")
    # then
    assert '<nav class="navbar' not in fragment.content.decode()
    assert '<nav class="navbar' in whole.content.decode()
    assert fragment["Vary"] == whole["Vary"] == "HX-Request, Cookie"
    assert fragment.context["page"].number == whole.context["page"].number == 2


SIGNED_IN_AT = datetime.datetime(2026, 2, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize("size", [10, 200])
def test_the_log_page_reads_the_same_number_of_rows_whatever_its_size(
    admin_client, erin, size, django_assert_max_num_queries
):
    # given
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(at=SIGNED_IN_AT, kind=EventKind.SIGN_IN, subject=erin, actor=erin, username="erin")
            for _ in range(size)
        ]
    )
    # when / then: the session, the user, the count, the page's keys and its rows
    with django_assert_max_num_queries(6):
        assert admin_client.get("/accounts/audit/").status_code == 200


def test_the_admin_sees_an_accounts_latest_events_on_its_page(admin_client, erin):
    # given
    sign_in(Client(), "erin")
    # when
    page = admin_client.get(f"/accounts/people/{erin.pk}/")
    # then
    assert [e.kind for e in page.context["events"]] == ["sign_in"]
