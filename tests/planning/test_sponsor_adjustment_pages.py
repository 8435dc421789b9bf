"""The sponsor adjustment on the pages: the ranking shows each adjusted candidate's NPV, factor and record, its
CSV adds them, the scoring model's form switches it (the PMO only; a refused request changes nothing), the
ranking page reads as many queries whatever the number of candidates, and the scenario page says what the
switch does; the API reads and sets it too. Typed text stays escaped."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from planning.models import Scenario, ScoringModelVersion
from planning.services import ranking as ranking_services
from planning.services import scenarios as scenario_services
from portfolio.benefits import Quarter
from portfolio.models import BenefitPlan
from portfolio.services.benefits import PeriodInput, benefit_plan_save
from tests.api.conftest import api_as
from tests.conftest import PERSONAS
from tests.factories import UserFactory
from tests.planning.sponsor_world import NOON, candidate, dana_record, example_world

NOT_EDITORS = [p for p in PERSONAS if p not in ("pmo", "admin_user")]
SWITCH_ON = {
    "based_on": "1",
    "weight_strategic_fit": "0.4",
    "weight_financial_value": "0.3",
    "weight_risk": "0.15",
    "weight_urgency": "0.15",
    "normalisation_strategic_fit": "fixed",
    "normalisation_risk": "fixed",
    "normalisation_urgency": "fixed",
    "sponsor_adjustment": "on",
    "rationale": "Board <i>2026-11</i>: weigh promises by track record",
}


@pytest.fixture(autouse=True)
def _clock(db):
    """21 November 2026, the day of the worked example; version 1 of the scoring model as migrated."""
    ranking_services.current_scoring_model()
    with time_machine.travel(NOON, tick=False):
        yield


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_pmo_switches_it_on_and_the_ranking_says_why(pmo, executive):
    # given the worked example, NEW-1's title typed with markup
    world = example_world()
    world["NEW-1"].title = "Click & collect <b>now</b>"
    world["NEW-1"].save()

    # when the PMO saves version 2 with the switch on
    response = browser(pmo).post("/planning/priorities/scoring-model/", SWITCH_ON)

    # then
    assert response.status_code == 302
    assert ScoringModelVersion.objects.get(number=2).sponsor_adjustment is True
    page = browser(executive).get("/planning/priorities/").content.decode()
    assert page.index('id="rank-ALT-2"') < page.index('id="rank-NEW-1"') < page.index('id="rank-ALT-3"')
    for score in (">73.63<", ">71.63<", ">43.13<"):
        assert score in page
    assert 'id="sponsor-adjustment"' in page
    assert (
        "NPV €1,000,000 × 0.76 = €760,000: sponsor&#x27;s past initiatives realised 52% of promised benefits "
        "over 2 initiatives." in page
    )
    assert "NPV not adjusted: no track record" in page
    assert "Click &amp; collect &lt;b&gt;now&lt;/b&gt;" in page
    assert "<b>now</b>" not in page
    # the explanation's raw value is the discounted NPV
    assert '<td>Financial value (NPV)</td><td class="text-end">760,000</td>' in page
    model_page = browser(executive).get("/planning/priorities/scoring-model/").content.decode()
    assert "Sponsor adjustment: <strong>on</strong>" in model_page
    assert "Board &lt;i&gt;2026-11&lt;/i&gt;" in model_page


def test_off_the_page_shows_no_adjustment(executive):
    example_world()
    page = browser(executive).get("/planning/priorities/").content.decode()
    assert page.index('id="rank-NEW-1"') < page.index('id="rank-ALT-2"')
    assert 'id="sponsor-adjustment"' not in page
    assert 'id="sponsor-NEW-1"' not in page
    header = rows_of(browser(executive).get("/planning/priorities.csv"))[0]
    assert "sponsor_factor" not in header


def test_the_csv_holds_the_npv_the_factor_and_the_adjusted_npv(pmo, executive):
    example_world()
    browser(pmo).post("/planning/priorities/scoring-model/", SWITCH_ON)

    rows = rows_of(browser(executive).get("/planning/priorities.csv"))

    header, body = rows[0], rows[1:]
    assert header[-4:] == ["npv", "sponsor_factor", "npv_adjusted", "sponsor_record"]
    found = {row[1]: dict(zip(header, row, strict=True)) for row in body}
    new = found["NEW-1"]
    assert (new["rank"], new["score"]) == ("2", "71.625")
    assert (new["financial_value_raw"], new["financial_value_normalised"]) == ("760000.00", "0.933333")
    assert (new["npv"], new["sponsor_factor"], new["npv_adjusted"]) == ("1000000.00", "0.76", "760000.00")
    assert new["sponsor_record"] == (
        "sponsor's past initiatives realised 52% of promised benefits over 2 initiatives"
    )
    assert (found["ALT-2"]["sponsor_factor"], found["ALT-2"]["npv_adjusted"]) == ("1", "800000.00")


def test_the_sensitivity_page_ranks_with_the_discount(pmo, executive):
    example_world()
    browser(pmo).post("/planning/priorities/scoring-model/", SWITCH_ON)
    page = browser(executive).get("/planning/priorities/sensitivity/?top=1").content.decode()
    assert "First now: <strong>ALT-2</strong>" in page


@pytest.mark.parametrize("persona", NOT_EDITORS, indirect=True)
def test_a_refused_switch_changes_nothing(persona):
    response = browser(persona).post("/planning/priorities/scoring-model/", SWITCH_ON)
    assert response.status_code == 403
    assert list(ScoringModelVersion.objects.values_list("number", "sponsor_adjustment")) == [(1, False)]


def test_the_form_offers_the_switch_as_the_current_version_has_it(pmo):
    page = browser(pmo).get("/planning/priorities/scoring-model/").content.decode()
    assert 'name="sponsor_adjustment" id="id_sponsor_adjustment">' in page
    browser(pmo).post("/planning/priorities/scoring-model/", SWITCH_ON)
    page = browser(pmo).get("/planning/priorities/scoring-model/").content.decode()
    assert 'name="sponsor_adjustment" id="id_sponsor_adjustment" checked>' in page


def test_the_ranking_page_reads_as_many_queries_whatever_the_number_of_candidates(
    pmo, executive, django_assert_max_num_queries
):
    # given the example with the switch on
    example_world()
    browser(pmo).post("/planning/priorities/scoring-model/", SWITCH_ON)
    client = browser(executive)
    urls = ("/planning/priorities/", "/planning/priorities.csv", "/planning/priorities/sensitivity/")
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(25) as captured:
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        counts[url] = len(captured)

    # when twenty more candidates come, each of a sponsor with a record of two initiatives past go-live
    for n in range(20):
        sponsor = dana_record(UserFactory(), suffix=f"-{n}")
        candidate(f"MORE-{n:02d}", sponsor=sponsor, like=("NEW-1", "ALT-2", "ALT-3")[n % 3])

    # then each page reads as many queries as before
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            response = client.get(url)
            assert response.status_code == 200
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)


# scenarios ---------------------------------------------------------------------------------------------------


def make(pmo, **fields) -> Scenario:
    dana = dana_record()
    costs: dict[str, Any] = {
        "budget_capex": Decimal("500"),
        "budget_opex": Decimal("0"),
        "planned_start": None,
        "planned_end": None,
    }
    candidate("NEW-1", sponsor=dana, **costs)
    candidate("ALT-2", **costs)
    data = {
        "name": "One <b>of</b> two",
        "first_year": 2027,
        "years": 1,
        "maximise": "npv",
        "budget": 600,
        **fields,
    }
    return scenario_services.scenario_create(user=pmo, data=data)


def test_the_scenario_page_lists_the_adjusted_candidates(pmo, executive):
    # given a scenario maximising NPV with the switch on, solved
    scenario = make(pmo, sponsor_adjustment=True)
    scenario_services.solve_scenario(scenario)

    # when
    page = browser(executive).get(f"/planning/scenarios/{scenario.pk}/").content.decode()

    # then
    assert "Sponsor adjustment on: each candidate's NPV is multiplied by its sponsor's factor" in page
    assert "Sponsor adjustment: 1 candidate with a discounted NPV" in page
    row = page[page.index('id="adjusted-NEW-1"') :]
    row = row[: row.index("</tr>")]
    assert "€1,000,000" in row
    assert "× 0.76" in row
    assert "€760,000" in row
    assert "Sponsor&#x27;s past initiatives realised 52% of promised benefits over 2 initiatives" in row
    assert "One &lt;b&gt;of&lt;/b&gt; two" in page
    assert "<b>of</b>" not in page


def test_a_scenario_not_maximising_npv_says_the_switch_has_no_effect(pmo, executive):
    scenario = make(pmo, maximise="strategic", sponsor_adjustment=True)
    scenario_services.solve_scenario(scenario)
    page = browser(executive).get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert (
        "no effect here: it discounts NPV, a promised benefit, and this scenario maximises strategic value"
        in page
    )
    assert 'id="sponsor-adjusted"' not in page


def test_the_pmo_switches_a_scenario_on_its_page(pmo):
    scenario = make(pmo)
    response = browser(pmo).post(
        f"/planning/scenarios/{scenario.pk}/",
        {
            "version": str(scenario.version),
            "s-name": "One of two",
            "s-first_year": "2027",
            "s-years": "1",
            "s-maximise": "npv",
            "s-budget": "600",
            "s-sponsor_adjustment": "on",
        },
    )
    assert response.status_code == 302
    assert Scenario.objects.get(pk=scenario.pk).sponsor_adjustment is True
    page = browser(pmo).get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert 'name="s-sponsor_adjustment" id="id_s-sponsor_adjustment" checked>' in page


@pytest.mark.parametrize("persona", NOT_EDITORS, indirect=True)
def test_a_refused_scenario_switch_changes_nothing(persona, pmo):
    scenario = make(pmo)
    response = browser(persona).post(
        f"/planning/scenarios/{scenario.pk}/",
        {
            "version": str(scenario.version),
            "s-name": "One of two",
            "s-first_year": "2027",
            "s-years": "1",
            "s-maximise": "npv",
            "s-sponsor_adjustment": "on",
        },
    )
    assert response.status_code == 403
    assert list(Scenario.objects.values_list("sponsor_adjustment", "version")) == [(False, 1)]


# the API -------------------------------------------------------------------------------------------------------


def test_the_api_switches_it_and_explains_the_discount(pmo, executive):
    # given
    world = example_world()

    # when the PMO saves version 2 with the switch on through the API
    created = api_as(pmo).post(
        "planning/scoring-models", {"based_on": 1, "rationale": "Track record", "sponsor_adjustment": True}
    )
    ranking = api_as(executive, "read").get("planning/rankings").data

    # then
    assert (created.status_code, created.data["sponsor_adjustment"]) == (201, True)
    assert [(item["code"], round(item["score"], 4)) for item in ranking["items"]] == [
        ("ALT-2", 73.625),
        ("NEW-1", 71.625),
        ("ALT-3", 43.125),
    ]
    new = next(item for item in ranking["items"] if item["code"] == "NEW-1")
    assert new["sponsor"] == {
        "npv": "1000000.00",
        "factor": 0.76,
        "npv_adjusted": "760000.00",
        "record": "sponsor's past initiatives realised 52% of promised benefits over 2 initiatives",
    }
    assert world["NEW-1"].sponsor_id == world["dana"].pk


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member"], indirect=True)
def test_the_api_refuses_the_switch_to_others(persona):
    response = api_as(persona).post(
        "planning/scoring-models", {"based_on": 1, "rationale": "Mine", "sponsor_adjustment": True}
    )
    assert response.status_code == 403
    assert list(ScoringModelVersion.objects.values_list("number", "sponsor_adjustment")) == [(1, False)]


def test_a_changed_record_makes_the_stored_answer_stale(pmo, executive):
    # given an answer solved with the switch on, found current by the page
    scenario = make(pmo, sponsor_adjustment=True)
    scenario_services.solve_scenario(scenario)
    client = browser(executive)
    assert "solve it again" not in client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()

    # when BOPS-1's 2026 Q3 actual for store labour becomes 20,000: Dana's record 49,000 of 75,000, factor
    # 1 - 0.5 x (1 - 0.653333) = 0.826667, and NEW-1 is worth 826,667 (more than ALT-2's 800,000)
    labour = BenefitPlan.objects.get(line__label="Store labour saved", line__case__initiative__code="BOPS-1")
    benefit_plan_save(
        user=pmo,
        line_id=labour.pk,
        version=labour.version,
        periods={
            Quarter(2026, 1): PeriodInput("10000", "8000"),
            Quarter(2026, 2): PeriodInput("20000", "12000"),
            Quarter(2026, 3): PeriodInput("20000", "20000"),
        },
    )

    # then the page says the answer no longer stands
    page = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert (
        "The portfolio&#x27;s data changed since the answer (values, costs or candidates): solve it again."
        in page
    )
