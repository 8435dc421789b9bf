"""The 15 early-warning rules: each raised by data built to trigger it (rule, severity, message, evidence), and
quiet for a near miss just short of its threshold.

Every test starts from a quiet portfolio (two themes, each served strongly by a healthy initiative) and adds
one initiative that differs from a healthy one only in what the rule watches, so the signals asserted are
all the signals raised.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from alignment import services
from alignment.models import Signal
from core.stages import Stage
from portfolio.models import KPI, Initiative, Objective, ObjectiveStatus, ScopeChangeStatus
from risk.models import RiskStatus, TierPolicy
from tests.factories import (
    ArtefactFactory,
    CheckpointReviewFactory,
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    RiskFactory,
    ScopeChangeFactory,
    UserFactory,
)

D = datetime.date
TODAY = D(2026, 11, 21)
REVIEWED = D(2026, 10, 1)  # 51 days ago: within every tier's cadence

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tier_policies(db):
    for tier, cadence, artefacts in [
        (1, 30, ["business_case", "benefits_plan", "architecture_review", "security_review", "cutover_plan"]),
        (2, 60, ["business_case", "benefits_plan"]),
        (3, 90, ["business_case"]),
    ]:
        TierPolicy.objects.update_or_create(
            tier=tier,
            defaults={
                "name": f"Tier {tier}",
                "checkpoint_cadence_days": cadence,
                "required_artefacts": artefacts,
            },
        )


@pytest.fixture
def themes(db) -> dict[str, Objective]:
    """T1 (weight 3, r 1) and T2 (weight 1, r 1/3), both served strongly by a healthy initiative."""
    t1 = ObjectiveFactory(code="T1", title="Grow digital sales", local_weight=Decimal("3"))
    t2 = ObjectiveFactory(code="T2", title="Cut operating cost", local_weight=Decimal("1"))
    healthy(code="OK-1", contributions=[(t1, "strong"), (t2, "strong")])
    return {"t1": t1, "t2": t2}


def healthy(
    *,
    code: str = "SUBJ-1",
    contributions: Sequence[tuple[Objective, str]] = (),
    review: D | None = REVIEWED,
    **values: Any,
) -> Initiative:
    """An initiative no rule has anything to say about: in delivery, on plan, on budget, reviewed, clear."""
    fields: dict[str, Any] = {
        "code": code,
        "stage": Stage.IN_DELIVERY,
        "planned_start": D(2026, 1, 1),
        "planned_end": D(2026, 12, 27),
        "actual_start": D(2026, 1, 15),
        "stage_since": D(2026, 1, 15),
        "budget_capex": Decimal("100000"),
        "budget_opex": Decimal("20000"),
        "actual_cost": Decimal("50000"),
        "requirements_clarity": 4,
        **values,
    }
    initiative = InitiativeFactory(**fields)
    for objective, strength in contributions:
        ContributionFactory(initiative=initiative, objective=objective, strength=strength)
    if review is not None:
        CheckpointReviewFactory(initiative=initiative, held_on=review)
    ArtefactFactory(initiative=initiative)
    return initiative


def subject(themes: dict[str, Objective], **values: Any) -> Initiative:
    values.setdefault("contributions", [(themes["t1"], "moderate")])
    return healthy(**values)


def raised() -> list[tuple[str, str, str, list[dict[str, str]]]]:
    services.recompute(today=TODAY)
    return [(s.rule, s.severity, s.message, s.evidence) for s in Signal.objects.order_by("key")]


def signal(rule: str) -> Signal:
    return Signal.objects.get(rule=rule)


def initiative_url(initiative: Initiative, anchor: str) -> str:
    return reverse("portfolio:initiative-detail", args=[initiative.pk]) + f"#{anchor}"


def test_a_healthy_portfolio_raises_nothing(themes):
    subject(themes)

    assert raised() == []


# ------------------------------------------------------------------------------------ 1. orphan


@pytest.mark.parametrize(
    ("stage", "severity", "message"),
    [
        (Stage.IN_DELIVERY, "red", "SUBJ-1 contributes to no objective although it is funded."),
        (Stage.LIVE, "red", "SUBJ-1 contributes to no objective although it is funded."),
        (Stage.PROPOSED, "amber", "SUBJ-1 contributes to no objective."),
    ],
)
def test_orphan_an_open_initiative_with_no_contribution(themes, stage, severity, message):
    # given: no contribution at all
    values = (
        {"sustainment_owner": UserFactory(), "go_live_date": D(2026, 10, 1)} if stage == Stage.LIVE else {}
    )
    orphan = subject(themes, stage=stage, contributions=[], **values)

    # then
    assert raised() == [
        (
            "orphan",
            severity,
            message,
            [{"label": "SUBJ-1 contributions", "url": initiative_url(orphan, "contributions")}],
        )
    ]
    assert (signal("orphan").key, signal("orphan").initiative_id, signal("orphan").measured) == (
        f"orphan:i{orphan.pk}",
        orphan.pk,
        0.0,
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "none",
            "SUBJ-1 contributes to its objectives only with strength none although it is funded: "
            "its strategic fit is 0.",
        ),
        (
            "retired",
            "SUBJ-1 contributes only to retired objectives although it is funded: its strategic fit is 0.",
        ),
        (
            "under-retired",
            "SUBJ-1 contributes only to retired objectives although it is funded: its strategic fit is 0.",
        ),
    ],
)
def test_orphan_an_open_initiative_whose_fit_is_0_says_why(themes, case, message):
    # given: contributions that carry no weight: strength none to T1 and T2; weak to a retired objective (and
    # none to T1); or weak to an active objective under a retired one (a weak one, so that objective_weakened,
    # which watches moderate and strong contributions, stays quiet)
    retired = ObjectiveFactory(
        code="O1.9", title="Marketplace", parent=themes["t1"], status=ObjectiveStatus.RETIRED
    )
    below = ObjectiveFactory(code="O1.9.1", title="Sellers", parent=retired)
    contributions = {
        "none": [(themes["t1"], "none"), (themes["t2"], "none")],
        "retired": [(retired, "weak"), (themes["t1"], "none")],
        "under-retired": [(below, "weak")],
    }[case]
    orphan = subject(themes, contributions=contributions)

    # then
    assert raised() == [
        (
            "orphan",
            "red",
            message,
            [{"label": "SUBJ-1 contributions", "url": initiative_url(orphan, "contributions")}],
        )
    ]
    assert Initiative.objects.get(pk=orphan.pk).score.fit == 0.0
    assert (signal("orphan").measured, signal("orphan").threshold) == (0.0, None)


@pytest.mark.parametrize("stage", [Stage.IDEA, Stage.CLOSED, Stage.CANCELLED])
def test_orphan_near_miss_an_idea_or_a_finished_initiative(themes, stage):
    subject(themes, stage=stage, contributions=[])

    assert raised() == []


def test_orphan_near_miss_a_weak_contribution_is_a_contribution(themes):
    subject(themes, contributions=[(themes["t2"], "weak")])

    assert raised() == []


# ------------------------------------------------------------------------------------ 2. weak fit, large budget


def test_weak_fit_large_budget(themes):
    # given: weak to T2 (r 1/3): fit 100 x 1/9 = 11.11, on a budget of 1,500,000
    initiative = subject(
        themes,
        contributions=[(themes["t2"], "weak")],
        budget_capex=Decimal("1500000"),
        budget_opex=Decimal("0"),
    )

    # then
    assert raised() == [
        (
            "weak_fit_large_budget",
            "red",
            "SUBJ-1 spends €1.50M with a strategic fit of 11 (below 25).",
            [{"label": "SUBJ-1 contributions", "url": initiative_url(initiative, "contributions")}],
        )
    ]
    assert (signal("weak_fit_large_budget").measured, signal("weak_fit_large_budget").threshold) == (
        11.11,
        25.0,
    )


def test_weak_fit_large_budget_near_miss_just_under_the_budget(themes):
    subject(
        themes,
        contributions=[(themes["t2"], "weak")],
        budget_capex=Decimal("1499999.99"),
        budget_opex=Decimal("0"),
    )

    assert raised() == []


def test_weak_fit_large_budget_near_miss_at_the_fit_threshold(themes):
    # given: weak to T3 with r 2.25 / 3 = 3/4: fit 100 x 3/4 x 1/3 = 25, not below 25
    t3 = ObjectiveFactory(code="T3", title="Third", local_weight=Decimal("2.25"))
    healthy(code="OK-2", contributions=[(t3, "strong")])
    subject(themes, contributions=[(t3, "weak")], budget_capex=Decimal("2000000"), budget_opex=Decimal("0"))

    assert raised() == []
    assert Initiative.objects.get(code="SUBJ-1").score.fit == 25.0


# ------------------------------------------------------------------------------------ 3. objective uncovered


def test_objective_uncovered_an_important_objective_nobody_serves(themes):
    # given: T3 carries 1 / (3 + 1 + 1) = 20% of the strategy; only a weak contribution reaches it
    t3 = ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("1"))
    subject(themes, contributions=[(themes["t1"], "strong"), (t3, "weak")])

    # then
    assert raised() == [
        (
            "objective_uncovered",
            "red",
            "T3 “Know our customers” carries 20% of the strategy and no open initiative serves it.",
            [{"label": "Objective T3", "url": reverse("portfolio:objective-detail", args=[t3.pk])}],
        )
    ]
    uncovered = signal("objective_uncovered")
    assert (uncovered.key, uncovered.objective_id, uncovered.initiative_id) == (
        f"objective_uncovered:o{t3.pk}",
        t3.pk,
        None,
    )
    assert (uncovered.measured, uncovered.threshold) == (0.2, 0.08)


def test_objective_uncovered_near_miss_just_under_the_important_share(themes):
    # given: 0.34 / 4.34 = 7.8% of the strategy
    ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("0.34"))

    assert raised() == []


def test_objective_uncovered_near_miss_served_only_by_a_closed_initiative_is_still_uncovered(themes):
    # given: only a closed initiative serves T3 strongly: closed initiatives do not cover
    t3 = ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("1"))
    healthy(code="OLD-1", stage=Stage.CLOSED, contributions=[(t3, "strong")])

    assert [r[0] for r in raised()] == ["objective_uncovered"]


# ------------------------------------------------------------------------------------ 4. frequent scope changes


def scope_changes(initiative: Initiative, dates: list[D], **values: Any) -> list[Any]:
    return [ScopeChangeFactory(initiative=initiative, date=day, **values) for day in dates]


@pytest.mark.parametrize(("count", "severity"), [(3, "amber"), (5, "red")])
def test_scope_changes_frequent(themes, count, severity):
    # given: changes within the 180 days (the oldest exactly 180 days ago)
    initiative = subject(themes)
    scope_changes(initiative, [D(2026, 5, 25)] + [D(2026, 10, day) for day in range(1, count)])

    # then
    assert raised() == [
        (
            "scope_changes_frequent",
            severity,
            f"SUBJ-1 had {count} scope changes in the last 180 days.",
            [{"label": "Scope changes of SUBJ-1", "url": initiative_url(initiative, "scope-changes")}],
        )
    ]
    assert (signal("scope_changes_frequent").measured, signal("scope_changes_frequent").threshold) == (
        count,
        3.0,
    )


def test_scope_changes_frequent_near_miss(themes):
    # given: two recent changes, one 181 days ago, one rejected
    initiative = subject(themes)
    scope_changes(initiative, [D(2026, 10, 1), D(2026, 10, 2), D(2026, 5, 24)])
    scope_changes(initiative, [D(2026, 10, 3)], status=ScopeChangeStatus.REJECTED, approved_by=UserFactory())

    assert raised() == []


def test_scope_changes_of_a_closed_initiative_raise_nothing(themes):
    initiative = subject(themes, stage=Stage.CLOSED, actual_end=D(2026, 11, 1))
    scope_changes(initiative, [D(2026, 10, day) for day in range(1, 6)], rationale="")

    assert raised() == []


# ------------------------------------------------------------------------------------ 5. scope change without rationale


def test_scope_change_no_rationale(themes):
    # given: one change with no reason, one with only blanks (364 days ago), one with a reason
    initiative = subject(themes)
    bare = scope_changes(initiative, [D(2026, 10, 1)], rationale="")
    blank = scope_changes(initiative, [D(2025, 11, 22)], rationale="   ")
    scope_changes(initiative, [D(2026, 10, 2)])

    # then
    assert raised() == [
        (
            "scope_change_no_rationale",
            "amber",
            "SUBJ-1 has 2 scope changes without a rationale.",
            [
                {
                    "label": "Scope change of 2026-10-01",
                    "url": reverse("portfolio:record-edit", args=["scope-changes", bare[0].pk]),
                },
                {
                    "label": "Scope change of 2025-11-22",
                    "url": reverse("portfolio:record-edit", args=["scope-changes", blank[0].pk]),
                },
            ],
        )
    ]
    assert (signal("scope_change_no_rationale").measured, signal("scope_change_no_rationale").threshold) == (
        2.0,
        None,
    )


def test_scope_change_no_rationale_near_miss(themes):
    # given: a bare change 366 days ago and a rejected one
    initiative = subject(themes)
    scope_changes(initiative, [D(2025, 11, 20)], rationale="")
    scope_changes(
        initiative,
        [D(2026, 10, 1)],
        rationale="",
        status=ScopeChangeStatus.REJECTED,
        approved_by=UserFactory(),
    )

    assert raised() == []


# ------------------------------------------------------------------------------------ 6. sponsor absent


def test_sponsor_absent_from_the_latest_checkpoints(themes):
    # given: the sponsor attended an older review, not the latest two
    sponsor = UserFactory()
    initiative = subject(themes, sponsor=sponsor, review=None)
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 6, 1)).attendees.set([sponsor])
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 8, 1)).attendees.set([UserFactory()])
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 10, 1))

    # then
    checkpoints = initiative_url(initiative, "checkpoints")
    assert raised() == [
        (
            "sponsor_absent",
            "amber",
            "The sponsor of SUBJ-1 attended none of its last 2 checkpoint reviews.",
            [
                {"label": "Review of 2026-10-01", "url": checkpoints},
                {"label": "Review of 2026-08-01", "url": checkpoints},
            ],
        )
    ]
    assert (signal("sponsor_absent").measured, signal("sponsor_absent").threshold) == (2.0, 2.0)


def test_sponsor_absent_near_miss(themes):
    # given: the sponsor attended the older of the latest two reviews
    sponsor = UserFactory()
    initiative = subject(themes, sponsor=sponsor, review=None)
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 8, 1)).attendees.set([sponsor])
    CheckpointReviewFactory(initiative=initiative, held_on=D(2026, 10, 1))

    assert raised() == []


# ------------------------------------------------------------------------------------ 7. unclear requirements


@pytest.mark.parametrize(
    ("stage", "clarity", "severity", "message"),
    [
        (Stage.IN_DELIVERY, 2, "amber", "SUBJ-1 is in delivery with requirements clarity 2/5."),
        (Stage.IN_DELIVERY, 1, "red", "SUBJ-1 is in delivery with requirements clarity 1/5."),
        (Stage.IN_DELIVERY, None, "red", "SUBJ-1 is in delivery with requirements clarity not assessed."),
        (Stage.APPROVED, 1, "amber", "SUBJ-1 is approved with requirements clarity 1/5."),
    ],
)
def test_unclear_requirements_after_approval(themes, stage, clarity, severity, message):
    initiative = subject(themes, stage=stage, requirements_clarity=clarity)

    assert raised() == [
        (
            "unclear_requirements",
            severity,
            message,
            [{"label": "SUBJ-1 overview", "url": initiative_url(initiative, "overview")}],
        )
    ]
    assert (signal("unclear_requirements").measured, signal("unclear_requirements").threshold) == (
        clarity,
        2.0,
    )


@pytest.mark.parametrize(("stage", "clarity"), [(Stage.IN_DELIVERY, 3), (Stage.PROPOSED, 1)])
def test_unclear_requirements_near_miss(themes, stage, clarity):
    subject(themes, stage=stage, requirements_clarity=clarity)

    assert raised() == []


# ------------------------------------------------------------------------------------ 8. KPI off track


def kpi_with_readings(objective: Objective, values: tuple[str, str, str]) -> KPI:
    """0 -> 360 over 360 days, read on days 60, 120 and 180: the forecast is the trend on day 360."""
    kpi = KPIFactory(
        objective=objective,
        name="Weekly orders",
        baseline_value=Decimal("0"),
        target_value=Decimal("360"),
        baseline_date=D(2026, 1, 1),
        target_date=D(2026, 12, 27),
    )
    for day, value in zip((D(2026, 3, 2), D(2026, 5, 1), D(2026, 6, 30)), values, strict=True):
        ReadingFactory(kpi=kpi, date=day, value=Decimal(value))
    return kpi


@pytest.mark.parametrize(
    ("values", "severity", "label", "measured", "threshold"),
    [
        (("56.4", "112.8", "169.2"), "amber", "at risk", 0.94, 0.95),
        (("42", "84", "126"), "red", "off track", 0.7, 0.75),
    ],
)
def test_kpi_off_track(themes, values, severity, label, measured, threshold):
    # given: a contribution names a KPI whose trend reaches 94% (70%) of the way to its target: below on
    # track's 0.95 (below at risk's 0.75)
    kpi = kpi_with_readings(themes["t1"], values)
    initiative = subject(themes, contributions=[])
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)

    # then
    assert raised() == [
        (
            "kpi_off_track",
            severity,
            f"SUBJ-1 is expected to move “Weekly orders”, which is {label}: the trend reaches {measured:.0%} of the "
            "way to its target by 2026-12-27.",
            [{"label": "KPI Weekly orders", "url": reverse("portfolio:kpi-detail", args=[kpi.pk])}],
        )
    ]
    off = signal("kpi_off_track")
    assert (off.key, off.kpi_id, off.objective_id) == (
        f"kpi_off_track:i{initiative.pk}:k{kpi.pk}",
        kpi.pk,
        themes["t1"].pk,
    )
    assert (off.measured, off.threshold) == (measured, threshold)


@pytest.mark.parametrize(
    ("value", "severity", "label", "measured", "threshold"),
    [("144", "amber", "at risk", 0.8, 0.9), ("117", "red", "off track", 0.65, 0.7)],
)
def test_kpi_off_track_without_a_trend_explains_the_progress_against_expected(
    themes, value, severity, label, measured, threshold
):
    # given: one reading on 30 June, day 180 of 360, when half the progress was expected: 144 is progress
    # 0.40, 0.40 / 0.50 = 0.80, below on track's 0.90; 117 is 0.325, 0.325 / 0.50 = 0.65, below at risk's 0.70
    kpi = KPIFactory(
        objective=themes["t1"],
        name="Weekly orders",
        baseline_value=Decimal("0"),
        target_value=Decimal("360"),
        baseline_date=D(2026, 1, 1),
        target_date=D(2026, 12, 27),
    )
    ReadingFactory(kpi=kpi, date=D(2026, 6, 30), value=Decimal(value))
    initiative = subject(themes, contributions=[])
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)

    # then
    assert raised() == [
        (
            "kpi_off_track",
            severity,
            f"SUBJ-1 is expected to move “Weekly orders”, which is {label}: progress is {measured:.0%} of what was "
            "expected by 2026-06-30.",
            [{"label": "KPI Weekly orders", "url": reverse("portfolio:kpi-detail", args=[kpi.pk])}],
        )
    ]
    assert (signal("kpi_off_track").measured, signal("kpi_off_track").threshold) == (measured, threshold)


def test_kpi_off_track_near_miss_on_track_exactly_at_the_threshold(themes):
    # given: forecast to reach exactly 95% of its target
    kpi = kpi_with_readings(themes["t1"], ("57", "114", "171"))
    initiative = subject(themes, contributions=[])
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)

    assert raised() == []


# ------------------------------------------------------------------------------------ 9. schedule slip


@pytest.mark.parametrize(
    ("milestone", "severity", "message", "measured"),
    [
        (
            {"actual_date": D(2026, 10, 7)},
            "amber",
            "SUBJ-1 is 36 days late, 10% of its planned duration.",
            0.1,
        ),
        (
            {"forecast_date": D(2026, 11, 30)},
            "red",
            "SUBJ-1 is 90 days late, 25% of its planned duration.",
            0.25,
        ),
    ],
)
def test_schedule_slip(themes, milestone, severity, message, measured):
    # given: 360 planned days and a milestone due 1 September, achieved (forecast) late
    initiative = subject(themes)
    MilestoneFactory(initiative=initiative, baseline_date=D(2026, 9, 1), **milestone)

    # then
    assert raised() == [
        (
            "schedule_slip",
            severity,
            message,
            [{"label": "SUBJ-1 milestones", "url": initiative_url(initiative, "milestones")}],
        )
    ]
    assert (signal("schedule_slip").measured, signal("schedule_slip").threshold) == (measured, 0.1)


def test_schedule_slip_near_miss(themes):
    # given: 35 days late, 9.7% of the planned duration
    initiative = subject(themes)
    MilestoneFactory(initiative=initiative, baseline_date=D(2026, 9, 1), actual_date=D(2026, 10, 6))

    assert raised() == []


def test_schedule_slip_of_an_initiative_running_past_its_planned_end(themes):
    # given: planned 1 January to 1 October 2026 (273 days), still in delivery on 21 November: 51 days late
    subject(themes, planned_end=D(2026, 10, 1))

    assert raised()[0][:3] == (
        "schedule_slip",
        "amber",
        "SUBJ-1 is 51 days late, 19% of its planned duration.",
    )


# ------------------------------------------------------------------------------------ 10. cost overrun


@pytest.mark.parametrize(
    ("forecast", "severity", "message"), [("126000", "amber", "5%"), ("138000", "red", "15%")]
)
def test_cost_overrun(themes, forecast, severity, message):
    # given: a budget of 120,000
    initiative = subject(themes, forecast_cost=Decimal(forecast))

    assert raised() == [
        (
            "cost_overrun",
            severity,
            f"SUBJ-1 is forecast {message} over its budget of €120k.",
            [{"label": "SUBJ-1 costs", "url": initiative_url(initiative, "overview")}],
        )
    ]
    assert signal("cost_overrun").threshold == 0.05


def test_cost_overrun_near_miss(themes):
    subject(themes, forecast_cost=Decimal("125999"))

    assert raised() == []


def test_cost_overrun_without_a_forecast_uses_the_actual_cost(themes):
    subject(themes, actual_cost=Decimal("132000"))

    assert raised()[0][:3] == ("cost_overrun", "amber", "SUBJ-1 is forecast 10% over its budget of €120k.")


# ------------------------------------------------------------------------------------ 11. no sustainment owner


@pytest.mark.parametrize(
    ("values", "severity", "message", "measured"),
    [
        (
            {"go_live_date": D(2027, 1, 20)},
            "amber",
            "SUBJ-1 goes live in 60 days and nobody owns it after go-live.",
            60,
        ),
        (
            {"go_live_date": D(2026, 12, 21)},
            "red",
            "SUBJ-1 goes live in 30 days and nobody owns it after go-live.",
            30,
        ),
        ({"go_live_date": D(2026, 11, 1)}, "red", "SUBJ-1 went live and nobody owns it after go-live.", -20),
        (
            {"stage": Stage.LIVE, "go_live_date": D(2026, 10, 1)},
            "red",
            "SUBJ-1 is live and nobody owns it after go-live.",
            0,
        ),
    ],
)
def test_no_sustainment_owner(themes, values, severity, message, measured):
    initiative = subject(themes, **values)

    assert raised() == [
        (
            "no_sustainment_owner",
            severity,
            message,
            [{"label": "SUBJ-1 overview", "url": initiative_url(initiative, "overview")}],
        )
    ]
    assert (signal("no_sustainment_owner").measured, signal("no_sustainment_owner").threshold) == (
        measured,
        60.0,
    )


@pytest.mark.parametrize(
    "values",
    [
        {"go_live_date": D(2027, 1, 21)},
        {"go_live_date": D(2026, 12, 21), "sustainment_owner": "owner"},
        {"go_live_date": None},
    ],
)
def test_no_sustainment_owner_near_miss(themes, values):
    if values.get("sustainment_owner") == "owner":
        values = {**values, "sustainment_owner": UserFactory()}
    subject(themes, **values)

    assert raised() == []


# ------------------------------------------------------------------------------------ 12. live, no KPI reading


def live_with_kpi(themes: dict[str, Objective], go_live: D, reading_on: D) -> tuple[Initiative, KPI]:
    kpi = KPIFactory(objective=themes["t1"], name="Repeat buyers")
    ReadingFactory(kpi=kpi, date=reading_on, value=Decimal("20"))  # at its target: achieved
    initiative = subject(
        themes, stage=Stage.LIVE, go_live_date=go_live, sustainment_owner=UserFactory(), contributions=[]
    )
    ContributionFactory(initiative=initiative, objective=themes["t1"], strength="moderate", kpi=kpi)
    return initiative, kpi


def test_live_no_reading_since_go_live(themes):
    # given: live for 90 days, the last reading taken on the go-live day
    _, kpi = live_with_kpi(themes, go_live=D(2026, 8, 23), reading_on=D(2026, 8, 23))

    # then
    assert raised() == [
        (
            "live_no_reading",
            "amber",
            "SUBJ-1 went live on 2026-08-23 and has no KPI reading since: its benefits are not measured.",
            [{"label": "KPI Repeat buyers", "url": reverse("portfolio:kpi-detail", args=[kpi.pk])}],
        )
    ]
    assert (signal("live_no_reading").measured, signal("live_no_reading").threshold) == (90.0, 90.0)


def test_live_no_reading_when_no_kpi_is_named(themes):
    initiative = subject(
        themes, stage=Stage.LIVE, go_live_date=D(2026, 5, 1), sustainment_owner=UserFactory()
    )

    assert raised() == [
        (
            "live_no_reading",
            "amber",
            "SUBJ-1 went live on 2026-05-01 and names no KPI since: its benefits are not measured.",
            [{"label": "SUBJ-1 contributions", "url": initiative_url(initiative, "contributions")}],
        )
    ]


@pytest.mark.parametrize(
    ("go_live", "reading_on"), [(D(2026, 8, 24), D(2026, 8, 24)), (D(2026, 5, 1), D(2026, 5, 2))]
)
def test_live_no_reading_near_miss(themes, go_live, reading_on):
    # given: live for 89 days; or long live with a reading the day after go-live
    live_with_kpi(themes, go_live=go_live, reading_on=reading_on)

    assert raised() == []


# ------------------------------------------------------------------------------------ 13. objective weakened


def test_objective_weakened_retired(themes):
    # given: a moderate contribution to a retired objective
    retired = ObjectiveFactory(
        code="O1.9", title="Launch a marketplace", parent=themes["t1"], status=ObjectiveStatus.RETIRED
    )
    initiative = subject(themes, contributions=[(themes["t1"], "moderate"), (retired, "moderate")])

    assert raised() == [
        (
            "objective_weakened",
            "red",
            "SUBJ-1 serves O1.9, which has been retired.",
            [{"label": "Objective O1.9", "url": reverse("portfolio:objective-detail", args=[retired.pk])}],
        )
    ]
    weakened = signal("objective_weakened")
    assert (weakened.key, weakened.objective_id, weakened.measured) == (
        f"objective_weakened:i{initiative.pk}:o{retired.pk}",
        retired.pk,
        0.0,
    )


def down_weight(objective: Objective, weight: str) -> None:
    """Everything as entered since 1 January 2026; then the objective's weight changed on 1 October."""
    Objective.history.update(history_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    objective.local_weight = Decimal(weight)
    objective.save()
    Objective.history.filter(
        id=objective.pk, history_date__gt=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    ).update(history_date=datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC))


def test_objective_weakened_down_weighted(themes):
    # given: T3 served moderately by the subject; its weight went from 1 to 0.5, its r from 1/3 to 1/6
    t3 = ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("1"))
    initiative = subject(themes, contributions=[(themes["t1"], "moderate"), (t3, "moderate")])
    down_weight(t3, "0.5")

    # then
    assert raised() == [
        (
            "objective_weakened",
            "amber",
            "SUBJ-1 serves T3, whose weight fell 50% in 90 days.",
            [{"label": "Objective T3", "url": reverse("portfolio:objective-detail", args=[t3.pk])}],
        )
    ]
    assert (signal("objective_weakened").measured, signal("objective_weakened").threshold) == (0.5, 0.3)
    assert signal("objective_weakened").key == f"objective_weakened:i{initiative.pk}:o{t3.pk}"


def test_objective_weakened_near_miss(themes):
    # given: T3's weight went from 1 to 0.71: r fell 29%; and a weak contribution to a retired objective
    t3 = ObjectiveFactory(code="T3", title="Know our customers", local_weight=Decimal("1"))
    retired = ObjectiveFactory(
        code="O1.9", title="Marketplace", parent=themes["t1"], status=ObjectiveStatus.RETIRED
    )
    subject(themes, contributions=[(themes["t1"], "moderate"), (t3, "moderate"), (retired, "weak")])
    down_weight(t3, "0.71")

    assert raised() == []


# ------------------------------------------------------------------------------------ 14. checkpoint overdue


@pytest.mark.parametrize(
    ("review", "severity", "message", "measured"),
    [
        (
            D(2026, 8, 22),
            "amber",
            "SUBJ-1 was last reviewed 2026-08-22, 91 days ago; as a tier 3 initiative it is due a review every 90 days "
            "(due 2026-11-20).",
            91,
        ),
        (
            D(2026, 5, 24),
            "red",
            "SUBJ-1 was last reviewed 2026-05-24, 181 days ago; as a tier 3 initiative it is due a review every 90 days "
            "(due 2026-08-22).",
            181,
        ),
        (
            None,
            "red",
            "SUBJ-1 has had no checkpoint review in the 310 days since it moved to In delivery; as a tier 3 "
            "initiative it is due a review every 90 days (due 2026-04-15).",
            310,
        ),
    ],
)
def test_checkpoint_overdue(themes, review, severity, message, measured):
    initiative = subject(themes, review=review)

    assert raised() == [
        (
            "checkpoint_overdue",
            severity,
            message,
            [{"label": "SUBJ-1 checkpoints", "url": initiative_url(initiative, "checkpoints")}],
        )
    ]
    assert (signal("checkpoint_overdue").measured, signal("checkpoint_overdue").threshold) == (measured, 90.0)


def test_checkpoint_overdue_near_miss(themes):
    # given: reviewed exactly 90 days ago; and a live initiative not reviewed for a year
    subject(themes, review=D(2026, 8, 23))
    healthy(
        code="LIVE-1",
        stage=Stage.LIVE,
        go_live_date=D(2026, 10, 1),
        sustainment_owner=UserFactory(),
        contributions=[(themes["t1"], "moderate")],
        review=D(2025, 11, 1),
    )

    assert raised() == []


# ------------------------------------------------------------------------------------ 15. high risk, no mitigation


def test_high_risk_no_mitigation(themes):
    # given: 3 x 5 = 15 with no mitigation, and one whose mitigation is only blanks
    initiative = subject(themes)
    risk = RiskFactory(
        initiative=initiative, title="Vendor insolvent", probability=3, impact=5, mitigation=""
    )
    blank = RiskFactory(initiative=initiative, title="Data loss", probability=4, impact=4, mitigation="  ")

    # then
    assert raised() == [
        (
            "high_risk_no_mitigation",
            "red",
            "SUBJ-1: “Vendor insolvent” (3 × 5 = 15) has no mitigation.",
            [{"label": "Vendor insolvent", "url": reverse("portfolio:record-edit", args=["risks", risk.pk])}],
        ),
        (
            "high_risk_no_mitigation",
            "red",
            "SUBJ-1: “Data loss” (4 × 4 = 16) has no mitigation.",
            [{"label": "Data loss", "url": reverse("portfolio:record-edit", args=["risks", blank.pk])}],
        ),
    ]
    assert Signal.objects.get(key=f"high_risk_no_mitigation:r{risk.pk}").measured == 15.0
    assert Signal.objects.get(key=f"high_risk_no_mitigation:r{risk.pk}").threshold == 15.0


def test_high_risk_no_mitigation_near_miss(themes):
    # given: 3 x 4 = 12 unmitigated; 5 x 5 mitigated; 5 x 5 closed; 5 x 5 on a closed initiative
    initiative = subject(themes)
    RiskFactory(initiative=initiative, probability=3, impact=4, mitigation="")
    RiskFactory(initiative=initiative, probability=5, impact=5)
    RiskFactory(initiative=initiative, probability=5, impact=5, mitigation="", status=RiskStatus.CLOSED)
    closed = healthy(code="OLD-1", stage=Stage.CLOSED, contributions=[(themes["t1"], "moderate")])
    RiskFactory(initiative=closed, probability=5, impact=5, mitigation="")

    assert raised() == []


# ------------------------------------------------------------------------------------ lifecycle of a signal


def test_a_signal_disappears_when_the_data_no_longer_triggers_it(themes):
    # given: a signal raised
    initiative = subject(themes, forecast_cost=Decimal("138000"))
    assert [r[0] for r in raised()] == ["cost_overrun"]
    first_seen = signal("cost_overrun").first_seen

    # when: it changes severity, then the forecast comes back within budget
    Initiative.objects.filter(pk=initiative.pk).update(forecast_cost=Decimal("126000"))
    assert raised()[0][:2] == ("cost_overrun", "amber")
    assert signal("cost_overrun").first_seen == first_seen
    Initiative.objects.filter(pk=initiative.pk).update(forecast_cost=Decimal("120000"))

    # then
    assert raised() == []
