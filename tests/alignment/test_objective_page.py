"""The objective page shows one global weight: the header and the weight tile agree right after a weight is
saved, while the engine's portfolio refresh (which rewrites the stored figures) has not run yet."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from alignment import services
from alignment.models import ObjectiveScore
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """T1 (3) and T2 (7); under T1, O1 (1) and O2 (4): O1 weighs 0.3 x 1/5 = 0.06."""
    t1 = ObjectiveFactory(code="T1", title="Grow online", local_weight=Decimal("3"))
    ObjectiveFactory(code="T2", title="Run efficiently", local_weight=Decimal("7"))
    o1 = ObjectiveFactory(code="O1", title="Faster checkout", parent=t1, local_weight=Decimal("1"))
    ObjectiveFactory(code="O2", title="More repeat buyers", parent=t1, local_weight=Decimal("4"))
    services.recompute()
    return o1


def header_weight(html: str) -> str:
    match = re.search(r"global weight ([0-9.]+) · local weight", html)
    assert match is not None
    return match.group(1)


def tile(html: str, label: str) -> tuple[str, str]:
    match = re.search(
        rf'<div class="small text-body-secondary">{label}</div><div class="component-value">([^<]+)</div>'
        r'<div class="small text-body-secondary">([^<]+)</div>',
        html,
    )
    assert match is not None, f"no {label} tile"
    return match.group(1), match.group(2)


def test_header_and_tile_show_the_new_weight_before_the_portfolio_refresh_runs(
    client, pmo, tree, django_capture_on_commit_callbacks
):
    # given
    client.force_login(pmo)
    edit = reverse("portfolio:objective-edit", args=[tree.pk])
    data = {
        "parent": tree.parent_id,
        "code": "O1",
        "title": "Faster checkout",
        "status": "active",
        "local_weight": "2",
        "version": "1",
    }
    # when: the weight is saved, and the recompute it enqueues has not run yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(edit, data)
    html = client.get(reverse("portfolio:objective-detail", args=[tree.pk])).content.decode()

    # then: O1 = 0.3 x 2/6 = 0.1; the largest priority unit is T2 (0.7, no sub-objectives): r = 0.1/0.7
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert ObjectiveScore.objects.get(objective=tree).global_weight == pytest.approx(0.06)
    assert header_weight(html) == "0.100"
    assert tile(html, "Global weight") == ("0.100", "r = 0.143 of the top priority objective")
    assert tile(html, "Share of the strategy") == ("10.0%", "weight among priority objectives")
    assert "The weights changed: spend and coverage are being recomputed under them." in html


def test_once_the_refresh_ran_the_page_no_longer_says_it_is_recomputing(client, pmo, tree):
    # given
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:objective-detail", args=[tree.pk])).content.decode()

    # then: O1 = 0.06, r = 0.06 / 0.7
    assert header_weight(html) == "0.060"
    assert tile(html, "Global weight") == ("0.060", "r = 0.086 of the top priority objective")
    assert "being recomputed" not in html
