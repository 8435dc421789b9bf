"""The business case on the pages: the initiative page's section, the edit grid, the policy page, the register."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.benefits import Quarter
from portfolio.models import BenefitPeriod, BusinessCase, FinancialPolicy
from portfolio.services.benefits import PeriodInput, benefit_plan_save
from portfolio.services.business_cases import LineInput, business_case_save
from tests.factories import InitiativeFactory
from tests.portfolio.test_register import codes

pytestmark = pytest.mark.django_db

WORKED = [
    LineInput("capex", "Platform build", {2027: "250000", 2028: "40000"}),
    LineInput("opex", "Run and licences", {2028: "30000", 2029: "30000", 2030: "30000", 2031: "30000"}),
    LineInput(
        "cost_saving",
        "<script>alert(1)</script>",
        {2028: "60000", 2029: "90000", 2030: "90000", 2031: "90000"},
    ),
    LineInput(
        "revenue",
        "Online sales",
        {2028: "20000", 2029: "60000", 2030: "100000", 2031: "110000", 2032: "110000"},
    ),
]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case_of(pmo):
    def make(initiative, lines=WORKED, first_year=2027):
        return business_case_save(
            user=pmo, initiative_id=initiative.pk, version=None, first_year=first_year, lines=lines
        )

    return make


def edit_url(initiative) -> str:
    return reverse("portfolio:business-case-edit", args=[initiative.pk])


def test_the_initiative_page_shows_the_figures_under_the_policy_and_escapes_labels(
    client, executive, case_of
):
    # given the worked example, a label typed as a script
    initiative = InitiativeFactory()
    case_of(initiative)
    client.force_login(executive)

    # when an executive opens the initiative
    page = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()

    # then the figures of docs/business-case.md, the policy named, the label as text, no edit button
    assert 'data-figure="npv">€114,108.15<' in page
    assert 'data-figure="irr">22.61 %<' in page
    assert 'data-figure="payback">2.75 years<' in page
    assert 'data-figure="discounted-payback">3.09 years<' in page
    assert 'data-figure="roi">51.22 %<' in page
    assert "financial policy v1</a>: discount rate 8.00 %, horizon 5 years, years 2027 to 2031." in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    # year 2032 lies outside the horizon: listed, counted in no figure
    assert "Outside the policy's horizon, left out of every figure: “Online sales” 2032 (€110,000)." in page
    assert "Edit business case" not in page


def test_the_initiative_page_says_when_there_is_no_case_and_offers_its_manager_to_enter_one(client, manager):
    initiative = InitiativeFactory(manager=manager)
    client.force_login(manager)
    page = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()
    assert "No business case entered yet." in page
    assert f'href="{edit_url(initiative)}"' in page


def test_a_case_without_sign_change_says_why_it_has_no_irr(client, executive, case_of):
    initiative = InitiativeFactory()
    case_of(initiative, lines=[LineInput("capex", "Build", {2027: "1000"})])
    client.force_login(executive)
    page = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()
    assert 'data-figure="irr">—<' in page
    assert "No IRR: the net flows never change sign." in page
    assert 'data-figure="payback">Not within the horizon<' in page


@pytest.mark.parametrize("htmx", [False, True])
def test_the_manager_enters_a_case_through_the_grid(client, manager, htmx):
    # given an initiative of the manager's, without a case
    initiative = InitiativeFactory(manager=manager)
    client.force_login(manager)
    assert client.get(edit_url(initiative)).status_code == 200

    # when the grid is posted with one line (and the blank row left blank)
    response = client.post(
        edit_url(initiative),
        {
            "version": "",
            "first_year": "2026",
            "years": "2026,2027,2028,2029,2030",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-kind": "capex",
            "lines-0-label": "Platform",
            "lines-0-y2026": "1000",
            "lines-1-kind": "",
        },
        **(HTMX if htmx else {}),
    )

    # then it is saved and the page goes back to the initiative's section
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("portfolio:initiative-detail", args=[initiative.pk]) + "#business-case"
    )
    case = BusinessCase.objects.get(pk=initiative.pk)
    assert (case.first_year, case.total_cost, case.npv) == (2026, Decimal("1000.00"), Decimal("-1000.00"))


def test_an_error_is_shown_at_its_cell_and_nothing_is_saved(client, pmo):
    initiative = InitiativeFactory()
    client.force_login(pmo)
    response = client.post(
        edit_url(initiative),
        {
            "version": "",
            "first_year": "2026",
            "years": "2026,2027,2028,2029,2030",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-kind": "capex",
            "lines-0-label": "Platform",
            "lines-0-y2027": "-5",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert (
        'name="lines-0-y2027" id="id_lines-0-y2027" value="-5" class="form-control form-control-sm text-end is-invalid"'
        in page
    )
    assert "Enter a positive sum: the line&#x27;s kind gives its sign." in page
    assert not BusinessCase.objects.exists()


def test_add_a_line_gives_one_more_row_and_saves_nothing(client, pmo):
    initiative = InitiativeFactory()
    client.force_login(pmo)
    response = client.post(
        edit_url(initiative),
        {
            "first_year": "2026",
            "years": "2026",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "add_line": "1",
        },
    )
    assert response.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="2"' in response.content.decode()
    assert not BusinessCase.objects.exists()


def test_a_stale_grid_is_refused_with_409(client, pmo, case_of):
    initiative = InitiativeFactory()
    case_of(initiative)
    business_case_save(user=pmo, initiative_id=initiative.pk, version=1, first_year=2027, lines=WORKED[:2])
    client.force_login(pmo)
    response = client.post(
        edit_url(initiative),
        {
            "version": "1",
            "first_year": "2027",
            "years": "2027",
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 409
    assert "was changed by someone else" in response.content.decode()
    assert BusinessCase.objects.get(pk=initiative.pk).lines.count() == 2


def test_other_managers_and_executives_may_not_open_the_grid(client, other_manager, executive, manager):
    initiative = InitiativeFactory(manager=manager)
    for user in (other_manager, executive):
        client.force_login(user)
        assert client.get(edit_url(initiative)).status_code == 403


def test_the_register_sorts_by_npv_and_roi_with_cases_before_the_rest(client, executive, case_of):
    # given three cases of different NPV and an initiative without one
    low, high, none, middle = (
        InitiativeFactory(code=code) for code in ("LOW-1", "HIGH-1", "NONE-1", "MID-1")
    )
    case_of(low, lines=[LineInput("capex", "Build", {2027: "1000"})])
    case_of(
        high,
        lines=[LineInput("capex", "Build", {2027: "1000"}), LineInput("revenue", "Sales", {2028: "5000"})],
    )
    case_of(
        middle,
        lines=[LineInput("capex", "Build", {2027: "1000"}), LineInput("revenue", "Sales", {2028: "1500"})],
    )
    client.force_login(executive)

    # then sorted by NPV either way, the initiative without a case last
    assert codes(client.get("/initiatives/?sort=-npv")) == ["HIGH-1", "MID-1", "LOW-1", "NONE-1"]
    assert codes(client.get("/initiatives/?sort=npv")) == ["LOW-1", "MID-1", "HIGH-1", "NONE-1"]
    assert codes(client.get("/initiatives/?sort=-roi", **HTMX)) == ["HIGH-1", "MID-1", "LOW-1", "NONE-1"]
    page = client.get("/initiatives/?sort=-npv").content.decode()
    assert '<td class="num text-nowrap">400 %</td>' in page


def test_everyone_reads_the_policy_history_and_only_the_pmo_publishes(
    client, executive, pmo, django_capture_on_commit_callbacks
):
    client.force_login(executive)
    page = client.get(reverse("portfolio:financial-policy")).content.decode()
    assert "Bearing&#x27;s default policy" in page
    assert 'id="policy-form"' not in page
    assert (
        client.post(
            reverse("portfolio:financial-policy"), {"discount_rate": "9", "horizon_years": "4"}
        ).status_code
        == 403
    )

    client.force_login(pmo)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portfolio:financial-policy"),
            {"discount_rate": "9", "horizon_years": "4", "note": "<b>CFO</b>"},
        )
    assert response.status_code == 302
    assert list(FinancialPolicy.objects.values_list("version", "discount_rate", "horizon_years")) == [
        (2, Decimal("9.0000"), 4),
        (1, Decimal("8.0000"), 5),
    ]
    page = client.get(reverse("portfolio:financial-policy")).content.decode()
    assert "&lt;b&gt;CFO&lt;/b&gt;" in page
    assert "0 business cases recomputed" in page


def test_the_initiative_history_lists_the_case_its_lines_and_amounts(client, pmo, case_of):
    # given a case saved, then one amount changed
    initiative = InitiativeFactory()
    case_of(initiative, lines=[LineInput("capex", "Platform build", {2027: "1000"})])
    business_case_save(
        user=pmo,
        initiative_id=initiative.pk,
        version=1,
        first_year=2027,
        lines=[LineInput("capex", "Platform build", {2027: "1500"})],
    )
    client.force_login(pmo)

    # when the initiative's history is read
    page = client.get(reverse("portfolio:initiative-detail", args=[initiative.pk])).content.decode()

    # then the line's creation and the amount's change are in it
    assert "Business case line “Platform build”" in page
    assert "1000.0000" in page or "1,000" in page
    assert "1500.0000" in page or "1,500" in page


def _grid(case: BusinessCase, rows: list[dict[str, str]]) -> dict[str, str]:
    """The grid as the page posts it: the case's version and years, and each row's fields."""
    data = {
        "version": str(case.version),
        "first_year": str(case.first_year),
        "years": "2026,2027",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(len(rows)),
    }
    for n, row in enumerate(rows):
        data.update({f"lines-{n}-{name}": value for name, value in row.items()})
    return data


def test_removing_a_line_keeps_the_lines_below_it_with_their_benefit_plans(client, pmo, case_of):
    # given a case of a cost and three benefits, each benefit with its plan
    initiative = InitiativeFactory()
    case = case_of(
        initiative,
        lines=[
            LineInput("capex", "Build", {2026: "1000"}),
            LineInput("cost_saving", "Fewer calls", {2026: "400"}),
            LineInput("revenue", "Online sales", {2027: "800"}),
            LineInput("cost_avoidance", "No new call centre", {2027: "900"}),
        ],
        first_year=2026,
    )
    build, calls, sales, centre = case.lines.order_by("position")
    for line, amount in [(calls, "100"), (sales, "200"), (centre, "300")]:
        benefit_plan_save(
            user=pmo, line_id=line.pk, version=None, periods={Quarter(2027, 1): PeriodInput(amount)}
        )
    client.force_login(pmo)

    # when the PMO opens the grid, ticks the removal of "Fewer calls" and saves
    page = client.get(edit_url(initiative)).content.decode()
    for n, line in enumerate([build, calls, sales, centre]):
        assert f'name="lines-{n}-line_id" value="{line.pk}"' in page
    rows = [
        {"line_id": str(build.pk), "kind": "capex", "label": "Build", "y2026": "1000"},
        {
            "line_id": str(calls.pk),
            "kind": "cost_saving",
            "label": "Fewer calls",
            "y2026": "400",
            "DELETE": "on",
        },
        {"line_id": str(sales.pk), "kind": "revenue", "label": "Online sales", "y2027": "800"},
        {"line_id": str(centre.pk), "kind": "cost_avoidance", "label": "No new call centre", "y2027": "900"},
    ]
    response = client.post(edit_url(initiative), _grid(case, rows))

    # then "Fewer calls" is gone with its plan; the two lines below it moved up, each still itself, with its plan
    assert response.status_code == 302
    assert list(case.lines.order_by("position").values_list("pk", "position", "label")) == [
        (build.pk, 0, "Build"),
        (sales.pk, 1, "Online sales"),
        (centre.pk, 2, "No new call centre"),
    ]
    assert list(BenefitPeriod.objects.order_by("plan_id").values_list("plan_id", "expected")) == [
        (sales.pk, Decimal("200.00")),
        (centre.pk, Decimal("300.00")),
    ]
    # and each moved line's history says it moved, not that it was relabelled
    assert list(sales.history.order_by("history_id").values_list("position", "label")) == [
        (2, "Online sales"),
        (1, "Online sales"),
    ]


def test_a_line_named_by_another_cases_id_is_a_new_line_and_the_other_case_is_untouched(client, pmo, case_of):
    # given two initiatives with a case of one line each
    mine, other = InitiativeFactory(), InitiativeFactory()
    case = case_of(mine, lines=[LineInput("capex", "Mine", {2026: "10"})], first_year=2026)
    case_of(other, lines=[LineInput("capex", "Theirs", {2026: "20"})], first_year=2026)
    (own,) = case.lines.all()
    (theirs,) = other.business_case.lines.all()
    client.force_login(pmo)

    # when my grid is posted with my line and a second row naming the other case's line
    rows = [
        {"line_id": str(own.pk), "kind": "capex", "label": "Mine", "y2026": "10"},
        {"line_id": str(theirs.pk), "kind": "opex", "label": "Run", "y2027": "5"},
    ]
    response = client.post(edit_url(mine), _grid(case, rows))

    # then my case has my line and a new one; the other case's line is as it was
    assert response.status_code == 302
    assert list(case.lines.order_by("position").values_list("label", "kind")) == [
        ("Mine", "capex"),
        ("Run", "opex"),
    ]
    assert case.lines.get(position=1).pk not in {own.pk, theirs.pk}
    assert list(other.business_case.lines.values_list("pk", "label", "kind")) == [
        (theirs.pk, "Theirs", "capex")
    ]
