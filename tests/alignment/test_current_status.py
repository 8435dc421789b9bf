"""The current status per dimension (schedule, cost, scope, benefits): the latest review's while its next
checkpoint is not due, else the data's suggestion; stored with the scores and shown on the register, the
initiative's header, the register's export and the API (docs/steering.md, "The current status")."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from alignment import services
from alignment.engine import status
from alignment.models import InitiativeScore
from core.extensions import ReviewFact
from tests.alignment.formula_support import CHK, D, example_initiatives, score
from tests.api.conftest import api_as
from tests.export_support import csv_rows
from tests.factories import CheckpointReviewFactory, InitiativeFactory, MilestoneFactory

REVIEW_RAGS = ("green", "amber", "green", "green")


def chk_reviewed_on(day: datetime.date):
    """CHK-1 of docs/scoring.md (tier 2: checkpoints every 60 days, today 21 November 2026), its one review
    held on `day`."""
    return replace(
        example_initiatives()[0], reviews=[ReviewFact(1, CHK, day, REVIEW_RAGS, "proceed", frozenset())]
    )


def test_the_worked_example_is_suggested_by_the_data_once_its_review_has_lapsed():
    # given CHK-1, reviewed on 23 August: its next checkpoint fell due on 22 October
    result = score(example_initiatives()[0])

    # then the status is the data's: schedule amber (slip 10% of the planned duration, the rollout 36 days
    # late), cost amber (10% over budget), scope green (no change), benefits red (the cost KPI is off track)
    assert (result.status, result.status_review) == ("aagr", None)


def test_a_review_stands_until_its_next_checkpoint_falls_due_and_not_a_day_longer():
    # given the review held 60 days before today (22 September), then 61 days before (21 September)
    current = score(chk_reviewed_on(D(2026, 9, 22)))
    lapsed = score(chk_reviewed_on(D(2026, 9, 21)))

    # then the first still gives its RAG and its day; the second has lapsed and the data speaks
    assert (current.status, current.status_review) == ("gagg", D(2026, 9, 22))
    assert (lapsed.status, lapsed.status_review) == ("aagr", None)


@pytest.mark.parametrize(
    ("stage", "kept"),
    [
        ("idea", ""),
        ("proposed", ""),
        ("approved", "aagr"),
        ("live", "aagr"),
        ("closed", ""),
        ("cancelled", ""),
    ],
)
def test_only_funded_initiatives_keep_a_status(stage, kept):
    result = score(replace(example_initiatives()[0], stage=stage))

    assert result.status == kept


def test_the_stored_letters_read_back_as_dimensions_in_order():
    assert status.read("gagr") == [
        ("schedule", "green"),
        ("cost", "amber"),
        ("scope", "green"),
        ("benefits", "red"),
    ]
    assert status.read("") == []


NOW = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def portfolio(db):
    """Two initiatives in delivery on 21 November 2026 (planned 1 January to 31 December):
    - REV-1 reviewed on 1 November (tier 3 at most: its next checkpoint is at least 30 days away), schedule red;
    - DAT-1 never reviewed, its "Build" milestone forecast 50 days after its 1 November baseline, and 30%
      over budget."""
    with time_machine.travel(NOW, tick=False):
        reviewed = InitiativeFactory(code="REV-1", title="Reviewed <b>one</b>")
        CheckpointReviewFactory(
            initiative=reviewed, held_on=D(2026, 11, 1), rag_schedule="red", rag_benefits="amber"
        )
        data = InitiativeFactory(
            code="DAT-1",
            budget_capex=Decimal("100000"),
            budget_opex=Decimal("0"),
            forecast_cost=Decimal("130000"),
        )
        MilestoneFactory(
            initiative=data, name="Build", baseline_date=D(2026, 11, 1), forecast_date=D(2026, 12, 21)
        )
        services.recompute()
    return reviewed, data


def test_the_recompute_stores_each_status_with_its_source(portfolio):
    reviewed, data = portfolio

    stored = dict(InitiativeScore.objects.values_list("initiative__code", "status"))
    reviews = dict(InitiativeScore.objects.values_list("initiative__code", "status_review"))

    # REV-1: the review's red schedule and amber benefits; DAT-1: schedule red (the milestone 50 days late,
    # red from 45), cost red (30% over, red from 15%), scope green, benefits amber (no KPI is named)
    assert stored == {"REV-1": "rgga", "DAT-1": "rrga"}
    assert reviews == {"REV-1": D(2026, 11, 1), "DAT-1": None}


def test_the_register_shows_the_status_and_filters_by_it(portfolio, client, executive):
    client.force_login(executive)

    html = client.get(reverse("portfolio:initiative-list")).content.decode()
    red = client.get(reverse("portfolio:initiative-list"), {"status": "red"}).content.decode()
    green = client.get(reverse("portfolio:initiative-list"), {"status": "green"}).content.decode()

    assert (
        '<span class="rag-status" title="Schedule red, cost green, scope green, benefits amber (review of '
        '2026-11-01)"><span class="rag-dot rag-red" aria-hidden="true">■</span><span class="rag-dot rag-green" '
        'aria-hidden="true">●</span><span class="rag-dot rag-green" aria-hidden="true">●</span><span '
        'class="rag-dot rag-amber" aria-hidden="true">▲</span></span>'
    ) in html
    assert (
        '<span class="rag-status rag-suggested" title="Schedule red, cost red, scope green, benefits amber '
        '(suggested by the data)">'
    ) in html
    assert ">REV-1</a>" in red
    assert ">DAT-1</a>" in red
    assert ">REV-1</a>" not in green
    assert ">DAT-1</a>" not in green


def test_the_initiative_header_says_the_status_and_where_it_comes_from(portfolio, client, executive):
    reviewed, data = portfolio
    client.force_login(executive)

    from_review = client.get(reverse("portfolio:initiative-detail", args=[reviewed.pk])).content.decode()
    from_data = client.get(reverse("portfolio:initiative-detail", args=[data.pk])).content.decode()

    header = from_review[from_review.index('class="header-parts"') : from_review.index("section-nav")]
    assert header.count('class="badge text-bg-') == 4
    assert "Schedule: Red" in header
    assert "Cost: Green" in header
    assert "Benefits: Amber" in header
    assert 'from the <a href="#checkpoints">review of 1 Nov 2026</a>' in header
    assert "suggested by the data: no review since the last checkpoint fell due" in from_data


def test_the_register_export_carries_the_status_per_dimension(portfolio, client, executive):
    client.force_login(executive)

    rows = csv_rows(client.get(reverse("portfolio:initiative-export", args=["csv"])))

    header = rows[0]
    columns = ["code", "status_schedule", "status_cost", "status_scope", "status_benefits", "status_review"]
    picked = sorted([row[header.index(name)] for name in columns] for row in rows[1:])
    assert picked == [
        ["DAT-1", "red", "red", "green", "amber", ""],
        ["REV-1", "red", "green", "green", "amber", "2026-11-01"],
    ]


def test_the_api_gives_the_status_with_its_review(portfolio, executive):
    reviewed, data = portfolio
    api = api_as(executive, scope="read")

    one = api.get(f"initiatives/{reviewed.pk}").data
    listed = {row["code"]: row for row in api.get("initiatives").data["items"]}

    expected = {
        "schedule": "red",
        "cost": "green",
        "scope": "green",
        "benefits": "amber",
        "review_held_on": "2026-11-01",
    }
    assert one["score"]["status"] == expected
    assert listed["REV-1"]["score"]["status"] == expected
    assert listed["DAT-1"]["score"]["status"] == {
        "schedule": "red",
        "cost": "red",
        "scope": "green",
        "benefits": "amber",
        "review_held_on": None,
    }


def test_a_header_with_nothing_to_add_is_left_out(client, executive):
    # given an idea without a sponsor: no status (not funded) and no sponsor's record
    idea = InitiativeFactory(code="IDEA-1", stage="idea", sponsor=None)
    client.force_login(executive)

    html = client.get(reverse("portfolio:initiative-detail", args=[idea.pk])).content.decode()

    assert 'class="header-parts"' not in html
