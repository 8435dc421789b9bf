"""The scenario pages: everyone with a role reads them and may ask for an answer or a frontier; only the PMO
creates and changes scenarios; steering members and the PMO approve one as the plan (a refused request changes
nothing); the answer, its downloads and the comparison show exact figures, and what users typed is escaped."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client

from alignment.models import InitiativeScore
from planning.models import Scenario, ScenarioRule, ScenarioStatus
from planning.services import scenarios as services
from portfolio.models import Initiative
from tests.conftest import PERSONAS
from tests.export_support import csv_rows
from tests.factories import InitiativeFactory
from tests.planning.scenario_world import build_world

READERS = [p for p in PERSONAS if p != "outsider"]
NOT_EDITORS = [p for p in PERSONAS if p not in ("pmo", "admin_user")]
NOT_APPROVERS = ["executive", "manager", "outsider"]
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(db, pmo):
    found = build_world(pmo)
    found["C1"].sponsor = pmo
    found["C1"].save()
    return found


@pytest.fixture
def scenario(world, pmo):
    made = services.scenario_create(
        user=pmo,
        data={"name": "Lean <script>x</script>", "first_year": 2027, "years": 2, "maximise": "strategic"},
        limits=[{"year": 2027, "total": "700"}],
    )
    services.solve_scenario(made)
    return Scenario.objects.get(pk=made.pk)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", READERS, indirect=True)
def test_everyone_with_a_role_reads_the_pages(persona, scenario):
    client = browser(persona)
    for url in (
        "/planning/scenarios/",
        f"/planning/scenarios/{scenario.pk}/",
        f"/planning/scenarios/{scenario.pk}/?show=out&q=d1&page=9",
        f"/planning/scenarios/{scenario.pk}/answer.csv",
        f"/planning/scenarios/{scenario.pk}/spend.csv",
        f"/planning/scenarios/compare/?s={scenario.pk}",
    ):
        assert client.get(url).status_code == 200, url


def test_an_account_without_a_role_reads_nothing(outsider, scenario):
    assert browser(outsider).get(f"/planning/scenarios/{scenario.pk}/").status_code == 403
    assert browser(outsider).get("/planning/scenarios/").status_code == 403


def test_the_answer_is_explained_on_the_page(executive, scenario):
    page = browser(executive).get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert "Lean &lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x</script>" not in page
    assert "Proven optimal" in page
    assert "Would break 2027 total cost: 500 over the 700 limit" in page
    assert '3 <span class="fs-6 text-body-secondary">of 4</span>' in page


def test_the_answer_downloads_as_on_the_page(executive, scenario):
    response = browser(executive).get(f"/planning/scenarios/{scenario.pk}/answer.csv?show=out")
    rows = csv_rows(response)
    assert rows[0] == [
        "code",
        "title",
        "stage",
        "in_plan",
        "start_moved_months",
        "reason",
        "explanation",
        "value",
        "cost",
        "npv",
        "fit",
    ]
    assert rows[1][:9] == [
        "D1",
        "Title of D1",
        "approved",
        "no",
        "0",
        "limits",
        "would break 2027 total cost: 500 over the 700 limit",
        "30.0",
        "1200.0",
    ]
    assert len(rows) == 2


def test_the_spend_chart_downloads_its_table(executive, scenario):
    response = browser(executive).get(f"/planning/scenarios/{scenario.pk}/spend.csv")
    rows = csv_rows(response)
    assert rows == [
        ["Year", "Capex (€)", "Opex (€)", "Total (€)", "Capex limit", "Opex limit", "Total limit"],
        ["2027", "600.0", "0.0", "600.0", "", "", "700.0"],
        ["2028", "0.0", "150.0", "150.0", "", "", ""],
    ]


def test_the_pmo_creates_and_changes_a_scenario_through_the_pages(pmo, world):
    client = browser(pmo)
    response = client.post(
        "/planning/scenarios/",
        {
            "new-name": "Growth",
            "new-first_year": "2027",
            "new-years": "2",
            "new-maximise": "npv",
            "new-keep_committed": "on",
        },
    )
    created = Scenario.objects.get(name="Growth")
    assert response.status_code == 302
    assert response["Location"] == f"/planning/scenarios/{created.pk}/"
    response = client.post(
        f"/planning/scenarios/{created.pk}/",
        {
            "version": str(created.version),
            "s-name": "Growth",
            "s-first_year": "2027",
            "s-years": "2",
            "s-maximise": "npv",
            "limit-2027-capex": "1,000",
            "limit-2028-total": "",
        },
    )
    assert response.status_code == 302
    assert list(created.limits.values_list("year", "capex", "total")) == [
        (2027, 1000, None),
        (2028, None, None),
    ]
    response = client.post(
        f"/planning/scenarios/{created.pk}/rules/",
        {
            "version": str(created.version + 1),
            "rule-kind": "requires",
            "rule-initiative": "a1",
            "rule-other": "B1",
        },
    )
    assert response.status_code == 302
    assert list(
        ScenarioRule.objects.filter(scenario=created).values_list("kind", "initiative__code", "other__code")
    ) == [("requires", "A1", "B1")]


def test_a_bad_limit_is_said_at_its_field_and_nothing_is_saved(pmo, scenario):
    response = browser(pmo).post(
        f"/planning/scenarios/{scenario.pk}/",
        {
            "version": str(scenario.version),
            "s-name": "Renamed",
            "s-first_year": "2027",
            "s-years": "2",
            "s-maximise": "strategic",
            "limit-2027-capex": "a lot",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'name="limit-2027-capex" value="a lot"' in page
    assert "The 2027 capex limit must be an amount." in page
    scenario.refresh_from_db()
    assert scenario.name == "Lean <script>x</script>"


@pytest.mark.parametrize("persona", NOT_EDITORS, indirect=True)
def test_a_refused_change_changes_nothing(persona, scenario):
    client = browser(persona)
    answers = [
        client.post(
            "/planning/scenarios/",
            {"new-name": "Mine", "new-first_year": "2027", "new-years": "1", "new-maximise": "npv"},
        ),
        client.post(f"/planning/scenarios/{scenario.pk}/", {"version": scenario.version, "s-name": "Mine"}),
        client.post(
            f"/planning/scenarios/{scenario.pk}/rules/",
            {"version": scenario.version, "rule-kind": "force_in", "rule-initiative": "A1"},
        ),
        client.post(f"/planning/scenarios/{scenario.pk}/delete/", {"version": scenario.version}),
        client.post(f"/planning/scenarios/{scenario.pk}/copy/", {"name": "Mine"}),
    ]
    assert [a.status_code for a in answers] == [403] * 5
    assert list(Scenario.objects.values_list("name", "version")) == [
        ("Lean <script>x</script>", scenario.version)
    ]
    assert not ScenarioRule.objects.exists()


@pytest.mark.parametrize("persona", NOT_APPROVERS, indirect=True)
def test_only_those_who_record_decisions_approve(persona, scenario):
    response = browser(persona).post(
        f"/planning/scenarios/{scenario.pk}/approve/", {"version": scenario.version, "rationale": "Yes"}
    )
    assert response.status_code == 403
    assert Scenario.objects.get(pk=scenario.pk).status == ScenarioStatus.DRAFT
    assert Initiative.objects.get(code="A1").stage == "proposed"


def test_a_steering_member_approves_the_plan_with_a_rationale(steering_member, scenario):
    client = browser(steering_member)
    missing = client.post(
        f"/planning/scenarios/{scenario.pk}/approve/", {"version": scenario.version, "rationale": " "}
    )
    assert missing.status_code == 302
    assert Scenario.objects.get(pk=scenario.pk).status == ScenarioStatus.DRAFT

    client.post(
        f"/planning/scenarios/{scenario.pk}/approve/",
        {"version": scenario.version, "rationale": "Board, 1 December"},
    )

    assert Scenario.objects.get(pk=scenario.pk).status == ScenarioStatus.APPROVED
    stages = dict(Initiative.objects.values_list("code", "stage"))
    assert stages == {"A1": "approved", "B1": "approved", "C1": "approved", "D1": "proposed", "L1": "live"}
    log = client.get("/steering/decisions/portfolio/").content.decode()
    assert (
        "Plan approved: Lean &lt;script&gt;x&lt;/script&gt; (3 initiatives funded, 4 stages changed)" in log
    )


def test_a_stale_form_changes_nothing(pmo, scenario):
    response = browser(pmo).post(
        f"/planning/scenarios/{scenario.pk}/rules/",
        {"version": scenario.version - 1, "rule-kind": "force_in", "rule-initiative": "A1"},
        follow=True,
    )
    assert "Someone changed this scenario since you opened it" in response.content.decode()
    assert not ScenarioRule.objects.exists()


def test_compare_sets_scenarios_side_by_side(pmo, executive, scenario):
    wide = services.scenario_create(user=pmo, data={"name": "Wide", "first_year": 2027, "years": 2})
    services.solve_scenario(wide)
    page = (
        browser(executive)
        .get(f"/planning/scenarios/compare/?s={scenario.pk}&s={wide.pk}&s=x&s=99999999999")
        .content.decode()
    )
    assert "Initiatives funded differently" in page
    # only D1 differs: out of the lean plan, in the wide one
    assert page.count('<span class="badge text-bg-success">In</span>') == 1
    assert "D1" in page
    assert "€1,950" in page  # the wide plan over both years
    assert "€750" in page  # the lean one


@pytest.mark.parametrize(
    "url",
    [
        "/planning/scenarios/?page=-1",
        "/planning/scenarios/{pk}/?page=zz&show=%00",
        "/planning/scenarios/{pk}/nothing.csv",
        "/planning/scenarios/compare/?s=",
        "/planning/scenarios/{pk}/frontier.csv",
    ],
)
def test_malformed_addresses_are_answered(executive, scenario, url):
    response = browser(executive).get(url.format(pk=scenario.pk))
    assert response.status_code in (200, 302)


def test_the_page_says_when_the_data_moved_since_the_answer(executive, scenario, world):
    client = browser(executive)
    assert "solve it again" not in client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()

    # when a recompute changes a candidate's fit
    InitiativeScore.objects.filter(initiative=world["A1"]).update(fit=10, computed_at=NOW)

    page = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert (
        "The portfolio&#x27;s data changed since the answer (values, costs or candidates): solve it again."
        in page
    )


def test_a_page_view_does_not_read_every_candidate_again_while_the_data_stands(
    executive, scenario, django_assert_max_num_queries
):
    client = browser(executive)
    client.get(f"/planning/scenarios/{scenario.pk}/")  # finds the answer current once
    for n in range(20):
        InitiativeFactory(code=f"X-{n}", stage="live", go_live_date=datetime.date(2026, 1, 1))
    client.get(f"/planning/scenarios/{scenario.pk}/")  # the stamp moved: checked in full, still current
    with django_assert_max_num_queries(16):  # 24 when the candidates are read again (one: capacity's stamp)
        client.get(f"/planning/scenarios/{scenario.pk}/")
