"""Benefit plans as the PMO enters them (issue 14, part 1): the service validates everything before writing,
the initiative page's Benefits section shows each line's quarters and realisation, and only those who edit the
initiative edit its plans."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from portfolio.benefits import Quarter
from portfolio.models import BenefitPeriod, BenefitPlan, Direction, Initiative
from portfolio.services.benefits import PeriodInput, benefit_plan_save
from portfolio.services.business_cases import LineInput, business_case_save
from tests.factories import ContributionFactory, InitiativeFactory, KPIFactory, ReadingFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def today(time_machine) -> datetime.date:
    time_machine.move_to(datetime.datetime(2027, 1, 10, 12, tzinfo=datetime.UTC), tick=False)
    return D(2027, 1, 10)


@pytest.fixture
def live(manager, pmo) -> Initiative:
    """ECOM-1 of the worked example: live since 15 February 2026, with a case of one cost and two benefits."""
    owner = UserFactory(username="sue", first_name="Sue", last_name="Sustain")
    initiative = InitiativeFactory(
        code="ECOM-1",
        manager=manager,
        stage="live",
        go_live_date=D(2026, 2, 15),
        actual_end=D(2026, 2, 15),
        sustainment_owner=owner,
    )
    business_case_save(
        user=pmo,
        initiative_id=initiative.pk,
        version=None,
        first_year=2026,
        lines=[
            LineInput("capex", "Build", {2026: "100000"}),
            LineInput("cost_saving", "Fewer support calls <b>", {2026: "72345.67", 2027: "80000"}),
            LineInput("revenue", "Online sales", {2027: "40000"}),
        ],
    )
    return initiative


def lines(initiative):
    return list(initiative.business_case.lines.order_by("position"))


def worked_kpi(initiative):
    """The worked example's KPI, its readings and the two contributions claiming it (ECOM-1 -6, CRM-2 -4)."""
    kpi = KPIFactory(
        name="Support calls per 1,000 orders",
        unit="calls",
        direction=Direction.DECREASE,
        baseline_value=Decimal("42"),
        target_value=Decimal("30"),
        baseline_date=D(2025, 1, 1),
        target_date=D(2027, 12, 31),
    )
    for day, value in [
        (D(2025, 11, 30), "39"),
        (D(2026, 1, 31), "38"),
        (D(2026, 3, 31), "35"),
        (D(2026, 5, 31), "33"),
        (D(2026, 6, 30), "32"),
        (D(2026, 10, 15), "29"),
        (D(2026, 12, 15), "27"),
    ]:
        ReadingFactory(kpi=kpi, date=day, value=Decimal(value))
    ContributionFactory(
        initiative=initiative, objective=kpi.objective, kpi=kpi, expected_change=Decimal("-6")
    )
    other = InitiativeFactory(code="CRM-2")
    ContributionFactory(initiative=other, objective=kpi.objective, kpi=kpi, expected_change=Decimal("-4"))
    return kpi


WORKED_PERIODS = {
    Quarter(2026, 1): PeriodInput("12345.67"),
    **{Quarter(2026, q): PeriodInput("20000") for q in (2, 3, 4)},
    **{Quarter(2027, q): PeriodInput("20000") for q in (1, 2, 3, 4)},
}


def test_a_derived_plan_reproduces_the_worked_example_on_the_page(client, pmo, executive, live, today):
    # Given the worked example entered as a PMO would: the plan derived from the KPI's readings
    line = lines(live)[1]
    kpi = worked_kpi(live)
    benefit_plan_save(
        user=pmo, line_id=line.pk, version=None, kpi=kpi, source="derived", periods=WORKED_PERIODS
    )
    client.force_login(executive)

    # When an executive opens the initiative on 10 January 2027
    page = client.get(reverse("portfolio:initiative-detail", args=[live.pk])).content.decode()

    # Then the section shows docs/benefits.md's figures, the owner by default, the label escaped
    assert 'data-figure="realised">€35,703.70<' in page
    assert 'data-figure="expected">€72,345.67<' in page
    assert 'data-figure="variance">−€36,641.97 <span class="text-body-secondary">(−50.6 %)</span><' in page
    assert (
        'data-figure="forecast">€75,184.93 <span class="text-body-secondary">of €152,345.67 planned</span>'
        in page
    )
    assert "Owner: Sue Sustain (the sustainment owner)" in page
    assert "No actual for 2026 Q3: counted as nothing realised." in page
    assert "Fewer support calls &lt;b&gt;" in page
    assert "Fewer support calls <b>" not in page
    assert "€3,704" in page
    assert "€12,000" in page
    assert "Edit benefits" not in page
    # and each derived quarter says how it was derived
    assert "Reading 35: moved 3 of 10 claimed, 30.0 % realised." in page
    assert "Reading 27: moved 11 of 10 claimed, 100.0 % realised (capped at everything claimed)." in page
    assert "No reading in the quarter." in page
    assert page.count("To come.") == 4
    assert "Plan benefits" not in page
    # and the plan's derived actuals are never stored
    assert list(BenefitPeriod.objects.filter(plan_id=line.pk).values_list("actual", flat=True)) == [None] * 8


def test_the_section_answers_an_htmx_request_too(client, executive, live, today):
    client.force_login(executive)
    response = client.get(reverse("portfolio:initiative-detail", args=[live.pk]), **HTMX)
    assert response.status_code == 200
    assert "No benefit plan yet: nothing is expected or tracked per quarter." in response.content.decode()


def test_entered_actuals_count_quarters_ended_by_today(pmo, live, today, client, manager):
    # Given a revenue plan with actuals entered for 2026 Q4 and 2027 Q1 (the quarter under way)
    line = lines(live)[2]
    owner = UserFactory(username="olga", first_name="Olga", last_name="Owner")
    benefit_plan_save(
        user=pmo,
        line_id=line.pk,
        version=None,
        owner=owner,
        periods={
            Quarter(2026, 4): PeriodInput("10000", "8000"),
            Quarter(2027, 1): PeriodInput("10000", "9000"),
            Quarter(2027, 2): PeriodInput("10000"),
        },
    )
    client.force_login(manager)
    page = client.get(reverse("portfolio:initiative-detail", args=[live.pk])).content.decode()
    # Then only 2026 Q4 is to date: 8,000 of 10,000, and the forecast is 8,000 + 20,000 x 0.8
    assert 'data-figure="realised">€8,000.00<' in page
    assert (
        'data-figure="forecast">€24,000.00 <span class="text-body-secondary">of €30,000.00 planned</span>'
        in page
    )
    assert "Owner: Olga Owner ·" in page
    assert f'href="{reverse("portfolio:benefit-plan-edit", args=[line.pk])}"' in page


def test_bad_input_is_refused_whole_with_errors_at_each_cell(pmo, live):
    # Given a plan with a sum and no errors
    line = lines(live)[1]
    benefit_plan_save(user=pmo, line_id=line.pk, version=None, periods={Quarter(2026, 2): PeriodInput("5")})
    # When a save has a negative sum, a non-number, a fraction of a cent and derived actuals with no KPI
    with pytest.raises(ApplicationError) as refused:
        benefit_plan_save(
            user=pmo,
            line_id=line.pk,
            version=1,
            source="derived",
            periods={
                Quarter(2026, 1): PeriodInput("-1", "abc"),
                Quarter(2026, 2): PeriodInput("1.001"),
                Quarter(2026, 3): PeriodInput("NaN"),
            },
        )
    # Then each error is at its cell or field, and nothing changed
    assert refused.value.field_errors == {
        "source": ["Actuals derived from KPI readings need the KPI: choose it, or enter the actuals."],
        "q2026-1-expected": ["Enter a positive sum (or 0)."],
        "q2026-2-expected": ["Enter a sum in whole cents below 1,000,000,000,000."],
        "q2026-3-expected": ["Enter a number."],
    }
    plan = BenefitPlan.objects.get(pk=line.pk)
    assert (plan.version, plan.source) == (1, "entered")
    assert list(plan.periods.values_list("year", "quarter", "expected", "actual")) == [
        (2026, 2, Decimal("5.0000"), None)
    ]


def test_a_stale_save_is_refused(pmo, live):
    line = lines(live)[1]
    benefit_plan_save(user=pmo, line_id=line.pk, version=None, periods={Quarter(2026, 2): PeriodInput("5")})
    benefit_plan_save(user=pmo, line_id=line.pk, version=1, periods={Quarter(2026, 2): PeriodInput("6")})
    with pytest.raises(StaleEdit):
        benefit_plan_save(user=pmo, line_id=line.pk, version=1, periods={Quarter(2026, 2): PeriodInput("7")})
    assert BenefitPeriod.objects.get(plan_id=line.pk).expected == Decimal("6")


def test_a_cost_line_has_no_plan(pmo, live):
    with pytest.raises(ApplicationError, match="Only a benefit line has a benefit plan."):
        benefit_plan_save(user=pmo, line_id=lines(live)[0].pk, version=None, periods={})
    assert not BenefitPlan.objects.exists()


def test_the_history_records_who_changed_a_quarter(pmo, live):
    line = lines(live)[1]
    benefit_plan_save(user=pmo, line_id=line.pk, version=None, periods={Quarter(2026, 2): PeriodInput("5")})
    benefit_plan_save(user=pmo, line_id=line.pk, version=1, periods={Quarter(2026, 2): PeriodInput("5", "4")})
    period = BenefitPeriod.objects.get(plan_id=line.pk)
    assert [(h.history_type, h.actual, h.history_user) for h in period.history.order_by("history_id")] == [
        ("+", None, pmo),
        ("~", Decimal("4.0000"), pmo),
    ]


def edit_url(line) -> str:
    return reverse("portfolio:benefit-plan-edit", args=[line.pk])


def test_a_new_plan_starts_from_the_business_case_spread_over_quarters(client, pmo, live):
    client.force_login(pmo)
    page = client.get(edit_url(lines(live)[1])).content.decode()
    # 72,345.67 a year: 18,086.42 a quarter, the last quarter taking what rounding leaves
    assert 'name="q2026-1-expected" id="id_q2026-1-expected" value="18086.42"' in page
    assert 'name="q2026-4-expected" id="id_q2026-4-expected" value="18086.41"' in page
    assert "The sustainment owner (Sue Sustain)" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_the_form_saves_and_shows_errors_at_the_cells(client, manager, live, htmx):
    # Given the initiative's manager on the plan of its cost-saving line
    line = lines(live)[1]
    client.force_login(manager)
    extra = HTMX if htmx else {}
    # When the form is posted with a bad cell
    bad = client.post(
        edit_url(line), {"version": "", "source": "entered", "q2026-2-expected": "lots"}, **extra
    )
    # Then the error is at the cell and nothing is saved
    assert bad.status_code == 422
    assert 'is-invalid" aria-label="Expected, 2026 Q2">' in bad.content.decode()
    assert "Enter a number." in bad.content.decode()
    assert not BenefitPlan.objects.exists()
    # When posted right
    good = client.post(
        edit_url(line),
        {"version": "", "source": "entered", "q2026-2-expected": "1000", "q2026-2-actual": "900"},
        **extra,
    )
    # Then it is saved and the page goes back to the section
    assert good.status_code == 302
    assert good["Location"] == reverse("portfolio:initiative-detail", args=[live.pk]) + "#benefits"
    assert list(BenefitPeriod.objects.values_list("year", "quarter", "expected", "actual")) == [
        (2026, 2, Decimal("1000.0000"), Decimal("900.0000"))
    ]


@pytest.mark.parametrize(
    ("persona", "may_edit"),
    [
        ("pmo", True),
        ("admin_user", True),
        ("manager", True),
        ("executive", False),
        ("steering_member", False),
        ("other_manager", False),
    ],
    indirect=["persona"],
)
def test_who_edits_benefit_plans(client, persona, may_edit, live, pmo):
    # Given a plan of one quarter
    line = lines(live)[1]
    benefit_plan_save(user=pmo, line_id=line.pk, version=None, periods={Quarter(2026, 2): PeriodInput("5")})
    client.force_login(persona)
    # When the persona opens the form and posts a change
    opened = client.get(edit_url(line))
    posted = client.post(edit_url(line), {"version": "1", "source": "entered", "q2026-2-expected": "6"})
    # Then only those who edit the initiative may, and a refusal changes nothing
    assert (opened.status_code, posted.status_code) == ((200, 302) if may_edit else (403, 403))
    expected = Decimal("6") if may_edit else Decimal("5")
    assert BenefitPeriod.objects.get(plan_id=line.pk).expected == expected
    if not may_edit:
        with pytest.raises(NotAllowed):
            benefit_plan_save(user=persona, line_id=line.pk, version=1, periods={})
        assert BenefitPlan.objects.get(pk=line.pk).version == 1


def test_someone_without_a_role_reads_nothing(client, outsider, live):
    client.force_login(outsider)
    assert client.get(edit_url(lines(live)[1])).status_code == 403
    assert client.get(reverse("portfolio:initiative-detail", args=[live.pk])).status_code == 403


@pytest.fixture
def other_manager(db):
    return UserFactory(username="other", roles=[roles.MANAGER])


def test_the_initiative_history_lists_the_plan_and_its_quarters(client, pmo, live):
    # Given a plan saved and then one quarter's actual entered
    line = lines(live)[1]
    benefit_plan_save(user=pmo, line_id=line.pk, version=None, periods={Quarter(2026, 2): PeriodInput("5")})
    benefit_plan_save(user=pmo, line_id=line.pk, version=1, periods={Quarter(2026, 2): PeriodInput("5", "4")})
    client.force_login(pmo)
    # When the initiative page is opened
    page = client.get(reverse("portfolio:initiative-detail", args=[live.pk])).content.decode()
    history = " ".join(re.sub(r"<[^>]+>", " ", page.split('id="history"')[1]).split())
    # Then its history names the plan and the quarter's change, and who made them
    assert f"Benefit plan #{line.pk} created by Pat Office" in history
    period = BenefitPeriod.objects.get(plan_id=line.pk)
    assert f"Benefit period #{period.pk} changed by Pat Office" in history
    assert f"Benefit period #{period.pk} created by Pat Office" in history


def _page_queries(client, initiative) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).status_code == 200
    return len(captured.captured_queries)


def test_the_section_reads_as_many_queries_for_one_plan_as_for_three(client, pmo, live, today):
    # Given one derived plan of eight quarters
    kpi = worked_kpi(live)
    first, second = lines(live)[1:]
    benefit_plan_save(
        user=pmo, line_id=first.pk, version=None, kpi=kpi, source="derived", periods=WORKED_PERIODS
    )
    client.force_login(pmo)
    _page_queries(client, live)
    one = _page_queries(client, live)
    # When a second plan, entered, and more readings are added
    benefit_plan_save(user=pmo, line_id=second.pk, version=None, periods=WORKED_PERIODS)
    ReadingFactory(kpi=kpi, date=D(2026, 9, 30), value=Decimal("30"))
    # Then the page reads the same number of queries
    assert _page_queries(client, live) == one


@pytest.mark.parametrize(
    "data",
    [
        {"version": "abc", "source": "entered"},
        {"version": "", "source": "bogus"},
        {"version": "", "source": "entered", "q2026-1-expected": "9" * 41},
        {"version": "", "source": "entered", "q2026-1-expected": "Infinity"},
        {"version": "", "source": "entered", "q2026-1-expected": "1e999"},
        {"version": "", "source": "entered", "owner": "999999"},
        {"version": "", "source": "derived", "kpi": "abc"},
        {"version": "", "source": "entered", "q2026-1-actual": "<script>alert(1)</script>"},
    ],
)
def test_malformed_posts_are_refused_with_a_message_and_change_nothing(client, pmo, live, data):
    client.force_login(pmo)
    response = client.post(edit_url(lines(live)[1]), data)
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not BenefitPlan.objects.exists()


def test_a_missing_line_is_not_found_and_a_cost_line_has_no_plan_page(client, pmo, live):
    client.force_login(pmo)
    assert client.get(reverse("portfolio:benefit-plan-edit", args=[999999])).status_code == 404
    assert client.get(edit_url(lines(live)[0])).status_code == 403


def test_a_non_financial_plan_is_shown_in_its_kpis_unit(client, pmo, manager, today):
    # Given a non-financial line tied to an NPS KPI, with 3 points expected in 2026 Q4 and 2 realised
    kpi = KPIFactory(name="Net Promoter Score", unit="NPS points")
    initiative = InitiativeFactory(manager=manager)
    business_case_save(
        user=pmo,
        initiative_id=initiative.pk,
        version=None,
        first_year=2026,
        lines=[LineInput("non_financial", "Happier customers", {2026: "3"}, kpi=kpi.pk)],
    )
    line = lines(initiative)[0]
    # When a plan names another KPI, it is refused at the field
    with pytest.raises(ApplicationError) as refused:
        benefit_plan_save(user=pmo, line_id=line.pk, version=None, kpi=KPIFactory(), periods={})
    assert refused.value.field_errors == {
        "kpi": ["A non-financial line is measured by the KPI its business case line names."]
    }
    benefit_plan_save(
        user=pmo, line_id=line.pk, version=None, kpi=kpi, periods={Quarter(2026, 4): PeriodInput("3", "2")}
    )
    client.force_login(manager)
    page = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()
    # Then its figures are in NPS points, with the forecast of the plan
    assert 'data-figure="realised">2 NPS points<' in page
    assert 'data-figure="expected">3 NPS points<' in page
    assert 'data-figure="variance">−1 NPS points <span class="text-body-secondary">(−33.3 %)</span><' in page
