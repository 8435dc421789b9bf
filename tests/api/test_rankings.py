"""Rankings and the scoring model through the API: the ranked list with each rank explained (scoring model
and WSJF), the versions, a new version by the PMO only, and nothing changed by a refused request."""

from __future__ import annotations

import pytest

from planning.models import ScoringModelVersion
from planning.services.ranking import current_scoring_model
from tests.api.conftest import api_as
from tests.planning.ranking_world import example_world

pytestmark = pytest.mark.usefixtures("today")

NEW = {
    "based_on": 1,
    "weights": {"urgency": 1.2},
    "normalisations": {"urgency": "fixed"},
    "rationale": "Urgency counts more",
}


@pytest.fixture(autouse=True)
def _version_one(db):
    """Version 1 of the scoring model, as the migration seeds it (a test before may have emptied the tables)."""
    current_scoring_model()


def test_the_ranking_explains_each_rank(executive):
    # given
    world = example_world()

    # when
    response = api_as(executive, "read").get("planning/rankings")

    # then
    assert response.status_code == 200
    data = response.data
    assert (data["method"], data["scoring_model_version"], data["total"], data["offset"]) == (
        "score",
        1,
        5,
        0,
    )
    assert [(item["rank"], item["code"], round(item["score"], 4)) for item in data["items"]] == [
        (1, "REC", 39.6705),
        (2, "ERP", 77.125),
        (3, "CRM", 66.7159),
        (4, "MOB", 54.125),
        (5, "DAT", 46.9643),
    ]
    rec = data["items"][0]
    assert rec["initiative_id"] == world["REC"].pk
    assert (rec["mandatory"], rec["mandatory_reason"]) == (True, "Records law <b>art. 5</b>")
    dat = data["items"][4]
    assert dat["missing"] == ["financial_value"]
    assert [(c["criterion"], c["raw"], round(c["points"], 2)) for c in dat["criteria"]] == [
        ("strategic_fit", 40.0, 22.86),
        ("risk", 4.0, 18.75),
        ("urgency", 2.0, 5.36),
    ]
    assert dat["wsjf"] is None


def test_wsjf_a_stage_filter_and_a_page(executive):
    example_world()
    response = api_as(executive, "read").get("planning/rankings?method=wsjf&stage=proposed&limit=2&offset=1")
    assert response.status_code == 200
    assert response.data["total"] == 5
    assert [
        (item["rank"], item["code"], item["wsjf"]["cost_of_delay"], item["wsjf"]["wsjf"])
        for item in response.data["items"]
    ] == [
        (2, "MOB", 20, 4.0),
        (3, "CRM", 26, 2.0),
    ]
    assert api_as(executive, "read").get("planning/rankings?stage=idea").data["total"] == 0


@pytest.mark.parametrize(
    "query", ["method=x", "stage=nope", "category=nope", "version=99", "limit=0", "offset=-1", "program=0"]
)
def test_a_bad_query_is_refused_with_the_one_error_shape(executive, query):
    response = api_as(executive, "read").get(f"planning/rankings?{query}")
    assert response.status_code in (400, 422)
    assert set(response.data["error"]) >= {"status", "code", "message"}


def test_the_versions_and_the_current_one(pmo, executive):
    api_as(pmo).post("planning/scoring-models", NEW)
    listed = api_as(executive, "read").get("planning/scoring-models")
    assert [(v["number"], v["current"]) for v in listed.data["items"]] == [(2, True), (1, False)]
    current = api_as(executive, "read").get("planning/scoring-models/current").data
    assert current["number"] == 2
    assert [(c["key"], c["weight"]) for c in current["criteria"]] == [
        ("strategic_fit", 0.4),
        ("financial_value", 0.3),
        ("risk", 0.15),
        ("urgency", 1.2),
    ]
    assert round(current["criteria"][3]["share"], 4) == round(1.2 / 2.05, 4)


def test_the_pmo_saves_a_version_and_the_ranking_follows(pmo):
    example_world()
    api = api_as(pmo)
    created = api.post("planning/scoring-models", NEW)
    assert created.status_code == 201
    assert created.data["number"] == 2
    codes = [item["code"] for item in api.get("planning/rankings").data["items"]]
    assert codes == ["REC", "MOB", "ERP", "CRM", "DAT"]
    assert [item["code"] for item in api.get("planning/rankings?version=1").data["items"]] == [
        "REC",
        "ERP",
        "CRM",
        "MOB",
        "DAT",
    ]


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member"], indirect=True)
def test_only_the_pmo_saves_a_version(persona):
    response = api_as(persona).post("planning/scoring-models", NEW)
    assert response.status_code == 403
    assert ScoringModelVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**NEW, "based_on": 5}, 409),
        ({**NEW, "weights": {"urgency": -1}}, 422),
        ({**NEW, "weights": {"nope": 1}}, 422),
        ({**NEW, "normalisations": {"financial_value": "fixed"}}, 422),
        ({**NEW, "rationale": ""}, 422),
        ({**NEW, "extra": 1}, 422),
    ],
)
def test_a_refused_version_saves_nothing(pmo, body, status):
    response = api_as(pmo).post("planning/scoring-models", body)
    assert response.status_code == status
    assert ScoringModelVersion.objects.count() == 1


def test_a_read_only_token_may_not_save_a_version(pmo):
    assert api_as(pmo, "read").post("planning/scoring-models", NEW).status_code == 403
    assert ScoringModelVersion.objects.count() == 1


def test_the_ranking_inputs_are_read_and_written_on_the_initiative(pmo):
    # given
    api = api_as(pmo)
    created = api.post(
        "initiatives",
        {
            "code": "REG-1",
            "title": "Records",
            "urgency": 5,
            "mandatory": True,
            "mandatory_reason": "Records law",
        },
    )
    assert created.status_code == 201

    # when a WSJF part off the scale, then a valid one, is sent
    off = api.patch(
        f"initiatives/{created.data['id']}", {"wsjf_job_size": 7, "version": created.data["version"]}
    )
    sized = api.patch(
        f"initiatives/{created.data['id']}", {"wsjf_job_size": 8, "version": created.data["version"]}
    )

    # then
    assert off.status_code == 422
    assert sized.status_code == 200
    data = api.get(f"initiatives/{created.data['id']}").data
    assert (data["urgency"], data["mandatory"], data["mandatory_reason"], data["wsjf_job_size"]) == (
        5,
        True,
        "Records law",
        8,
    )
    refused = api.post("initiatives", {"code": "REG-2", "title": "No reason", "mandatory": True})
    assert refused.status_code == 422
    assert "mandatory_reason" in refused.data["error"]["fields"]
