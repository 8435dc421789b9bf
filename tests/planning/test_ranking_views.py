"""The priorities pages: every role with view rights reads the ranked list, its CSV, the scoring model and the
sensitivity; only the PMO and admins save a scoring model version (a refused request changes nothing); exact
values on the pages and in the CSV; malformed query strings never fail."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from planning.models import ScoringModelVersion
from planning.services.ranking import current_scoring_model
from tests.conftest import PERSONAS
from tests.planning.ranking_world import candidate, example_world

READERS = [p for p in PERSONAS if p != "outsider"]
NOT_EDITORS = [p for p in PERSONAS if p not in ("pmo", "admin_user")]
URLS = (
    "/planning/priorities/",
    "/planning/priorities/?method=wsjf",
    "/planning/priorities.csv",
    "/planning/priorities.csv?method=wsjf",
    "/planning/priorities/scoring-model/",
    "/planning/priorities/sensitivity/",
    "/planning/priorities/sensitivity.csv",
)
NEW_WEIGHTS = {
    "based_on": "1",
    "weight_strategic_fit": "0.4",
    "weight_financial_value": "0.3",
    "weight_risk": "0.15",
    "weight_urgency": "1.2",
    "normalisation_strategic_fit": "fixed",
    "normalisation_risk": "fixed",
    "normalisation_urgency": "fixed",
    "rationale": "Board <script>alert(1)</script>: urgency counts more",
}


@pytest.fixture(autouse=True)
def _version_one(db):
    """Version 1 of the scoring model, as the migration seeds it (a test before may have emptied the tables)."""
    current_scoring_model()


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("persona", READERS, indirect=True)
def test_everyone_with_a_role_reads_every_page(persona):
    example_world()
    client = browser(persona)
    for url in URLS:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["outsider"], indirect=True)
def test_an_account_without_a_role_reads_nothing(persona):
    client = browser(persona)
    for url in URLS:
        assert client.get(url).status_code == 403, url


def test_the_ranked_list_shows_ranks_scores_and_explanations(executive):
    # given
    example_world()

    # when
    page = browser(executive).get("/planning/priorities/").content.decode()

    # then: rank order, scores at 2 decimals, DAT's missing NPV named, REC flagged, typed text escaped
    assert page.index('id="rank-REC"') < page.index('id="rank-ERP"') < page.index('id="rank-CRM"')
    assert page.index('id="rank-CRM"') < page.index('id="rank-MOB"') < page.index('id="rank-DAT"')
    for score in ("39.67", "77.13", "66.72", "54.13", "46.96"):
        assert f">{score}<" in page
    assert "missing: no business case NPV" in page
    assert "Mandatory" in page
    assert "Records law &lt;b&gt;art. 5&lt;/b&gt;" in page
    assert "<b>art. 5</b>" not in page
    assert "Strategic fit <strong>40.0%</strong>" in page


def test_wsjf_ranks_by_cost_of_delay_over_job_size(executive):
    example_world()
    page = browser(executive).get("/planning/priorities/?method=wsjf").content.decode()
    assert page.index('id="rank-REC"') < page.index('id="rank-MOB"') < page.index('id="rank-CRM"')
    assert page.index('id="rank-CRM"') < page.index('id="rank-ERP"') < page.index('id="rank-DAT"')
    for wsjf in (">3.88<", ">4.00<", ">0.90<"):
        assert wsjf in page


def test_the_list_is_also_served_as_a_fragment(executive):
    example_world()
    response = browser(executive).get("/planning/priorities/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="rank-ERP"' in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_the_csv_holds_every_rank_with_its_explanation_and_inert_cells(executive):
    # given
    example_world()

    # when
    rows = rows_of(browser(executive).get("/planning/priorities.csv"))

    # then
    header, body = rows[0], rows[1:]
    assert header[:9] == [
        "rank",
        "code",
        "title",
        "stage",
        "program",
        "category",
        "mandatory",
        "mandatory_reason",
        "score",
    ]
    assert [(row[0], row[1], row[8]) for row in body] == [
        ("1", "REC", "39.6705"),
        ("2", "ERP", "77.125"),
        ("3", "CRM", "66.7159"),
        ("4", "MOB", "54.125"),
        ("5", "DAT", "46.9643"),
    ]
    dat = dict(zip(header, body[4], strict=True))
    assert dat["financial_value_raw"] == ""
    assert dat["strategic_fit_weight"] == "0.571429"
    assert dat["missing"] == "financial_value"
    erp = dict(zip(header, body[1], strict=True))
    assert (erp["risk_raw"], erp["risk_normalised"], erp["risk_points"]) == ("6", "0.791667", "11.875")
    assert body[1][8:13] == ["77.125", "60.0", "0.6", "0.4", "24.0"]  # docs/planning-priorities.md


def test_csv_cells_a_spreadsheet_would_run_are_made_inert(executive):
    example_world()
    from portfolio.models import Initiative

    Initiative.objects.filter(code="ERP").update(title='=HYPERLINK("x")')
    rows = rows_of(browser(executive).get("/planning/priorities.csv"))
    assert rows[2][2].startswith("'=")


def test_the_pmo_saves_a_version_and_the_ranking_follows(pmo):
    # given
    example_world()
    client = browser(pmo)

    # when
    response = client.post("/planning/priorities/scoring-model/", NEW_WEIGHTS)

    # then: version 2 is current; with urgency at 1.2 MOB (urgency 5) passes ERP
    assert response.status_code == 302
    version = ScoringModelVersion.objects.get(number=2)
    assert version.rationale == NEW_WEIGHTS["rationale"]
    page = client.get("/planning/priorities/").content.decode()
    assert "version 2" in page
    assert page.index('id="rank-MOB"') < page.index('id="rank-ERP"')
    model_page = client.get("/planning/priorities/scoring-model/").content.decode()
    assert "Board &lt;script&gt;alert(1)&lt;/script&gt;" in model_page
    assert "<script>alert(1)</script>" not in model_page
    # version 1 can still be shown and ranked with
    earlier = client.get("/planning/priorities/?version=1").content.decode()
    assert earlier.index('id="rank-ERP"') < earlier.index('id="rank-MOB"')


@pytest.mark.parametrize("persona", NOT_EDITORS, indirect=True)
def test_a_refused_version_changes_nothing(persona):
    response = browser(persona).post("/planning/priorities/scoring-model/", NEW_WEIGHTS)
    assert response.status_code == 403
    assert ScoringModelVersion.objects.count() == 1


def test_an_invalid_version_is_shown_at_its_field_and_saves_nothing(pmo):
    response = browser(pmo).post(
        "/planning/priorities/scoring-model/", {**NEW_WEIGHTS, "weight_urgency": "-3", "rationale": ""}
    )
    assert response.status_code == 422
    assert ScoringModelVersion.objects.count() == 1


def test_a_stale_form_is_refused(pmo):
    client = browser(pmo)
    client.post("/planning/priorities/scoring-model/", NEW_WEIGHTS)
    response = client.post("/planning/priorities/scoring-model/", NEW_WEIGHTS)
    assert response.status_code == 422
    assert "was saved since you opened version 1" in response.content.decode()
    assert ScoringModelVersion.objects.count() == 2


def test_the_sensitivity_names_the_thresholds_and_who_enters(executive):
    # given: the four optional candidates of the docs' example
    for code in ("CRM", "ERP", "MOB", "DAT"):
        candidate(code)

    # when
    client = browser(executive)
    page = client.get("/planning/priorities/sensitivity/?top=2").content.decode()
    rows = rows_of(client.get("/planning/priorities/sensitivity.csv?top=2"))

    # then
    assert "First now: <strong>ERP</strong>" in page
    assert "0.605 → <strong>CRM Customer portal</strong> leads" in page
    assert "0.091 → <strong>MOB Mobile field app</strong> leads" in page
    assert rows[1] == [
        "Strategic fit",
        "40.0%",
        "never",
        "",
        "60.5%",
        "CRM Customer portal",
        "never",
        "",
        "66.0%",
        "MOB Mobile field app",
    ]
    assert 'id="figure-sensitivity"' in page


def test_with_a_mandatory_leader_the_sensitivity_asks_about_the_first_optional_place(executive):
    # given: the five candidates, REC mandatory (its NPV lies inside the others' range: the same thresholds)
    example_world()

    # when
    page = browser(executive).get("/planning/priorities/sensitivity/").content.decode()

    # then: the default N is half the candidates (2), the first optional place is ERP's
    assert "Mandatory initiatives rank first whatever the weights (REC)" in page
    assert "first optional one: <strong>ERP</strong>" in page
    assert "First optional place changes" in page
    assert "0.557 → <strong>MOB Mobile field app</strong> leads" in page
    assert "Top 2 now: REC, ERP." in page


def test_a_top_holding_every_candidate_says_so(executive):
    example_world()
    page = browser(executive).get("/planning/priorities/sensitivity/?top=5").content.decode()
    assert "The top 5 holds every candidate (5), so no weight can change it" in page


@pytest.mark.parametrize(
    "query",
    [
        "?method=%00",
        "?page=-1",
        "?page=99999999999999999999",
        "?version=abc",
        "?version=999",
        "?version=99999999999999999999",
        "?stage=nope&stage=idea",
        "?program=x&category=<b>",
        "?top=0",
        "?top=100000",
        "?top=-3",
    ],
)
def test_malformed_queries_never_fail(executive, query):
    example_world()
    client = browser(executive)
    for url in ("/planning/priorities/", "/planning/priorities.csv", "/planning/priorities/sensitivity/"):
        assert client.get(url + query).status_code == 200, url + query
    assert client.get("/planning/priorities/scoring-model/" + query).status_code == 200


def test_the_pages_read_a_constant_number_of_queries(executive, django_assert_max_num_queries):
    # given the example, then forty more candidates with risks
    example_world()
    client = browser(executive)
    urls = ("/planning/priorities/", "/planning/priorities/?method=wsjf", "/planning/priorities/sensitivity/")
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(20) as captured:
            client.get(url)
        counts[url] = len(captured)
    for n in range(40):
        candidate(("CRM", "ERP", "MOB", "DAT")[n % 4], code=f"MORE-{n:02d}")

    # then each page reads as many queries as before
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_the_initiative_page_shows_its_ranking_inputs(executive):
    world = example_world()
    page = (
        browser(executive)
        .get(reverse("portfolio:initiative-detail", args=[world["REC"].pk]))
        .content.decode()
    )
    assert "5 / 5" in page
    assert "Records law &lt;b&gt;art. 5&lt;/b&gt;" in page
    assert "value 3 · time 20 · risk 8 · size 8" in page
