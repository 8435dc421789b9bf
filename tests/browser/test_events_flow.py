"""Watching as an executive would: watch an initiative from its page, hear of the PMO's change through the
bell, open the notification, find the bell quiet again. And an admin's webhook pages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from core import roles
from events import services as events
from events.models import WebhookAttempt, WebhookDelivery
from portfolio import services as portfolio
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import InitiativeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_executive_watches_an_initiative_and_hears_of_its_change(page: Any) -> None:
    executive = UserFactory(username="erin", first_name="Erin", last_name="Exec", roles=[roles.EXECUTIVE])
    pmo = UserFactory(username="pat", roles=[roles.PMO])
    initiative = InitiativeFactory(code="CRM-1", title="CRM renewal")
    login(page, "erin")

    # when: she watches it from its page
    page.goto(f"/initiatives/{initiative.pk}/")
    page.get_by_role("button", name="Watch this initiative").click()
    expect(page.get_by_text("You now watch this initiative.")).to_be_visible()
    expect(page.get_by_role("heading", name="You watch this initiative")).to_be_visible()

    # when: the PMO renames it (the event is dispatched after the commit)
    initiative.refresh_from_db()
    portfolio.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=initiative.version,
        data={"title": "CRM <renewal> 2027"},
    )

    # then: the bell counts what she was told (the change, and what the engine raised on recomputing it)
    unread = executive.notifications.count()
    assert executive.notifications.filter(kind="initiative.changed").count() == 1
    page.goto("/dashboard/")
    expect(page.locator("#bell .badge")).to_have_text(f"{unread} unread")
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/notifications/")
    expect(
        page.get_by_role("button", name="CRM-1 CRM <renewal> 2027 was changed (title)", exact=True)
    ).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "events-notifications.png"), full_page=True)

    # when: she opens it
    page.get_by_role("button", name="CRM-1 CRM <renewal> 2027 was changed (title)", exact=True).click()
    expect(page).to_have_url(f"/initiatives/{initiative.pk}/")
    page.screenshot(path=str(ARTIFACTS / "events-initiative-watch.png"))
    assert executive.notifications.get(kind="initiative.changed").read_at is not None
    if unread > 1:
        expect(page.locator("#bell .badge")).to_have_text(f"{unread - 1} unread")
    page.goto("/notifications/")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#bell .badge")).to_have_count(0)


def test_an_admin_manages_a_webhook_and_reads_its_log(page: Any) -> None:
    admin = UserFactory(username="ada", roles=[roles.ADMIN], is_staff=True, is_superuser=True)
    hook = events.webhook_create(
        user=admin,
        name="PMO chat",
        url="https://hooks.example.org/bearing",
        kinds=["decision.recorded", "signal.raised"],
    )
    delivery = WebhookDelivery.objects.create(
        subscription=hook,
        event_id=12,
        kind="decision.recorded",
        body="{}",
        next_attempt_at=hook.created_at,
        created_at=hook.created_at,
    )
    for number, (status, ms, error) in enumerate(
        [(503, 120, "The receiver answered 503"), (200, 85, "")], start=1
    ):
        WebhookAttempt.objects.create(
            subscription=hook,
            delivery=delivery,
            number=number,
            attempted_at=hook.created_at,
            status_code=status,
            response_ms=ms,
            error=error,
        )
    login(page, "ada")
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/webhooks/")
    expect(page.get_by_role("cell", name="PMO chat", exact=False).first).to_be_visible()
    assert hook.secret not in page.content()
    page.screenshot(path=str(ARTIFACTS / "events-webhooks.png"), full_page=True)
    page.get_by_role("link", name="Delivery log : PMO chat").click()
    expect(page.get_by_text("The receiver answered 503")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "events-webhook-log.png"), full_page=True)
    page.goto("/notifications/preferences/")
    page.screenshot(path=str(ARTIFACTS / "events-preferences.png"), full_page=True)
