"""The alignment app's columns on the register: tier badge and alignment score, stale or not yet computed."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse

from alignment import services
from alignment.models import InitiativeScore
from core.formatting import fixed
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def row_of(html: str, code: str) -> str:
    start = html.index(f">{code}</a>")
    return html[start : html.index("</tr>", start)]


def test_register_rows_show_tier_and_score_mark_stale_ones_and_say_when_none_is_computed(client, executive):
    # given three initiatives: one scored, one scored and then changed, one never scored
    objective = ObjectiveFactory(code="T1", local_weight=1)
    scored, changed, fresh = (
        InitiativeFactory(code=code, stage="in_delivery") for code in ("A-1", "B-1", "C-1")
    )
    for initiative in (scored, changed):
        ContributionFactory(initiative=initiative, objective=objective, strength="strong")
    services.recompute(initiative_ids=[scored.pk, changed.pk])
    services.mark_stale([changed.pk])
    InitiativeScore.objects.filter(initiative=fresh).delete()
    client.force_login(executive)

    # when the register is opened
    html = client.get(reverse("portfolio:initiative-list")).content.decode()

    # then the scored one shows its tier and rounded score, the changed one the same with "being recomputed",
    # and the new one a dash that says it is not computed yet
    for initiative, stale in ((scored, False), (changed, True)):
        score = InitiativeScore.objects.get(initiative=initiative)
        row = row_of(html, str(initiative.code))
        assert (
            f'<span class="badge tier-badge tier-{score.tier}" title="{score.get_tier_display()}">T{score.tier}</span>'
            in row
        )
        shown = Decimal(str(score.alignment)).quantize(Decimal(1), ROUND_HALF_UP)  # halves round up
        # with its confidence as its title: in delivery with no KPI named, its outcome is missing (1 of 3)
        words = "Medium confidence: 1 of 3 components missing or stale: outcome missing."
        assert f'<span class="score-pill" title="{words}">{shown}</span>' in row
        assert ('title="Being recomputed"' in row) is stale
    row = row_of(html, "C-1")
    assert '<span class="text-body-secondary" title="Not computed yet">—</span>' in row
    assert "score-pill" not in row
    assert "tier-badge" not in row
    # and every code and title links to its initiative's page
    for initiative in (scored, changed, fresh):
        assert html.count(f'href="{reverse("portfolio:initiative-detail", args=[initiative.pk])}"') == 2


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.0, "0"), (0.5, "1"), (12.5, "13"), (2.675, "3"), (49.49999, "49"), (99.5, "100"), (100.0, "100")],
)
def test_a_score_is_shown_rounded_half_up_as_floatformat_shows_it(value, shown):
    assert fixed(value, 0) == shown == str(floatformat(value, 0))
