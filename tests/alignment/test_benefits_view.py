"""The executive benefits view (issue 14, part 2): expected against realised by objective, program and sponsor
with totals, the cumulative chart with its table and CSV, and a query count that does not grow with the
number of plans."""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.engine.inputs import load_benefits
from core.stages import Stage
from portfolio.benefit_selectors import plan_results
from portfolio.models import (
    BenefitPlan,
    Initiative,
)
from tests.benefit_support import plan, worked_example
from tests.factories import (
    ContributionFactory,
    InitiativeFactory,
    KPIFactory,
    ProgramFactory,
    ReadingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def today(time_machine) -> datetime.date:
    time_machine.move_to(datetime.datetime(2027, 1, 10, 12, tzinfo=datetime.UTC), tick=False)
    return D(2027, 1, 10)


@pytest.fixture
def portfolio(db):
    """Two sponsors, two programs: ECOM-1's derived plan of the worked example, and CRM-2's entered one."""
    return worked_example()


def test_the_view_sums_by_objective_program_and_sponsor(client, executive, portfolio, today):
    # Given the two plans as of 10 January 2027; ECOM-1 realised 35,703.70 of 72,345.67 (docs/benefits.md)
    # and CRM-2 12,000 of 20,000 (rate 0.6: forecast 12,000 + 10,000 x 0.6 = 18,000)
    client.force_login(executive)
    # When an executive opens the benefits view
    page = client.get(reverse("alignment:benefits")).content.decode()
    # Then the totals are the sums of the two plans
    assert 'data-total="realised">€47,704<' in page
    assert 'data-total="expected">€92,346<' in page
    assert 'data-total="variance">−€44,642 <span class="fs-6 text-body-secondary">(−48.3%)</span><' in page
    assert 'data-total="forecast">€93,185<' in page
    assert "of €182,346 planned" in page
    # and how sure that forecast is: 3 + 2 quarters measured, 92,345.67 of 182,345.67 (51%) to date, and
    # ECOM-1's 2026 Q3 lacking an actual
    assert (
        '<div class="small text-body-secondary" data-total="forecast-confidence">Medium confidence: 5 quarters '
        "measured; 51% of the planned value to date; 1 quarter to date lacking an actual.</div>"
    ) in page
    # And each dimension names its groups, the typed text escaped
    assert '<th scope="row" class="fw-normal">O1 Serve customers better</th>' in page
    assert '<th scope="row" class="fw-normal">No KPI named</th>' in page
    assert '<th scope="row" class="fw-normal">No program</th>' in page
    assert "=HYPERLINK(1) &lt;b&gt;" in page
    assert "1 money benefit line of business cases has no benefit plan yet and is not counted." in page
    assert (
        "1 non-financial plan, in KPI units rather than money, is shown on the initiative pages only." in page
    )
    # And the chart is titled, with units on its axis, a legend, and its table
    figure = json.loads(page.split('id="figure-cumulative-benefit">')[1].split("</script>")[0])
    assert figure["layout"]["title"]["text"] == "Cumulative benefit: expected against realised"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Cumulative benefit (€)"
    assert [trace["name"] for trace in figure["data"]] == ["Expected (plan)", "Realised"]
    assert figure["data"][1]["y"] == [3703.7, 15703.7, 20703.7, 47703.7]


def test_the_groups_csv_has_every_group_and_inert_cells(client, executive, portfolio, today):
    client.force_login(executive)
    response = client.get(reverse("alignment:benefits-csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "dimension",
        "group",
        "plans",
        "expected_to_date",
        "realised_to_date",
        "variance",
        "variance_pct",
        "total_expected",
        "forecast",
    ]
    assert rows[1:] == [
        [
            "objective",
            "O1 Serve customers better",
            "1",
            "72345.67",
            "35703.70",
            "-36641.97",
            "-50.65",
            "152345.67",
            "75184.93",
        ],
        [
            "objective",
            "No KPI named",
            "1",
            "20000.00",
            "12000.00",
            "-8000.00",
            "-40.00",
            "30000.00",
            "18000.00",
        ],
        ["program", "Digital", "1", "72345.67", "35703.70", "-36641.97", "-50.65", "152345.67", "75184.93"],
        ["program", "No program", "1", "20000.00", "12000.00", "-8000.00", "-40.00", "30000.00", "18000.00"],
        ["sponsor", "Erin Exec", "1", "72345.67", "35703.70", "-36641.97", "-50.65", "152345.67", "75184.93"],
        [
            "sponsor",
            "'=HYPERLINK(1) <b>",
            "1",
            "20000.00",
            "12000.00",
            "-8000.00",
            "-40.00",
            "30000.00",
            "18000.00",
        ],
        [
            "total",
            "All benefits",
            "2",
            "92345.67",
            "47703.70",
            "-44641.97",
            "-48.34",
            "182345.67",
            "93184.93",
        ],
    ]


def test_the_cumulative_csv_is_the_chart_table(client, executive, portfolio, today):
    client.force_login(executive)
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("alignment:benefits-cumulative-csv")).content.decode()))
    )
    assert rows[:6] == [
        ["Quarter", "Cumulative expected (€)", "Cumulative realised (€)"],
        ["2026 Q1", "12345.67", "3703.70"],
        ["2026 Q2", "32345.67", "15703.70"],
        ["2026 Q3", "62345.67", "20703.70"],
        ["2026 Q4", "92345.67", "47703.70"],
        ["2027 Q1", "122345.67", ""],
    ]


def test_an_empty_portfolio_says_so(client, executive, today):
    client.force_login(executive)
    page = client.get(reverse("alignment:benefits")).content.decode()
    assert 'data-total="realised">€0<' in page
    assert "No benefit plans yet." in page


def test_someone_without_a_role_is_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("alignment:benefits")).status_code == 403
    assert client.get(reverse("alignment:benefits-csv")).status_code == 403


@pytest.mark.parametrize("size", [2, 12])
def test_the_query_count_does_not_grow_with_the_plans(
    client, executive, today, size, django_assert_num_queries
):
    # Given `size` initiatives, each with a derived plan on its own KPI and an entered one
    for n in range(size):
        kpi = KPIFactory()
        ReadingFactory(kpi=kpi, date=D(2026, 6, 30), value=Decimal("15"))
        initiative = InitiativeFactory(
            go_live_date=D(2026, 1, 15), program=ProgramFactory(), sponsor=UserFactory()
        )
        ContributionFactory(
            initiative=initiative, kpi=kpi, objective=kpi.objective, expected_change=Decimal("10")
        )
        plan(initiative, kpi=kpi, source="derived", periods=[((2026, 2), "100", None)])
        plan(initiative, kind="revenue", position=1, periods=[((2026, 2), "100", str(n))])
    client.force_login(executive)
    client.get(reverse("alignment:benefits"))  # the session and the user's roles are read once
    # Then the page reads the same number of queries for 2 and for 12 initiatives
    with django_assert_num_queries(9):
        assert client.get(reverse("alignment:benefits")).status_code == 200


def test_the_rules_are_shown_in_the_app_with_the_worked_example(client, executive):
    client.force_login(executive)
    page = client.get(reverse("alignment:benefits-doc")).content.decode()
    assert "<h1" in page
    assert "Benefit plans and realisation" in page
    assert "€75,184.93" in page  # the forecast of the worked example, which test_benefit_math.py reproduces


def test_the_engine_reads_the_same_realisation_as_the_pages(portfolio, today):
    # Given the worked example's plans, their initiatives live
    Initiative.objects.filter(pk__in=[i.pk for i in portfolio]).update(stage=Stage.LIVE)
    plans = list(BenefitPlan.objects.select_related("kpi", "line__case__initiative"))
    # When the engine reads them for its signals, and the pages for the view
    engine = {
        row.line_id: row.realisation for rows in load_benefits(today=today).plans.values() for row in rows
    }
    pages = {pk: result.realisation for pk, result in plan_results(plans, today).items()}
    # Then every plan's figures to date agree (one rule: portfolio.benefits.derived_periods and realisation)
    assert sorted(engine) == sorted(pages)
    for pk, figures in pages.items():
        assert (engine[pk].expected_to_date, engine[pk].realised_to_date, engine[pk].missing_actuals) == (
            figures.expected_to_date,
            figures.realised_to_date,
            figures.missing_actuals,
        )
    ecom = BenefitPlan.objects.get(line__case__initiative__code="ECOM-1").pk
    assert (engine[ecom].expected_to_date, engine[ecom].realised_to_date) == (
        Decimal("72345.67"),
        Decimal("35703.70"),
    )
