"""Prioritisation from the database: the candidates' figures, exact ranks and scores (the worked example of
docs/planning-priorities.md entered as data), WSJF, the scoring model's versions, `priority_scores`, and a
query count that does not grow with the data."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError, NotAllowed
from core.stages import Stage
from planning import ranking
from planning.models import ScoringModelVersion
from planning.models.ranking import criterion_to_dict
from planning.services import priority_scores
from planning.services import ranking as services
from risk.models import RiskStatus
from tests.factories import InitiativeFactory, ProgramFactory, RiskFactory
from tests.planning.ranking_world import EXPECTED_SCORES, candidate, example_world

pytestmark = pytest.mark.django_db


def test_version_1_is_seeded_and_equals_the_default_model():
    # given: migrations ran (version 1 is written by planning 0003)
    version = ScoringModelVersion.objects.get(number=1)

    # then
    assert version.criteria == [criterion_to_dict(c) for c in ranking.default_scoring_model().criteria]
    assert version.model() == ranking.default_scoring_model()
    assert services.current_scoring_model() == version


def test_the_worked_example_ranks_from_the_database_as_in_the_docs():
    # given
    example_world()

    # when
    result = services.candidate_ranking(services.CandidateFilters())

    # then
    assert [(item.rank, item.row.code) for item in result.rows] == [
        (1, "REC"),
        (2, "ERP"),
        (3, "CRM"),
        (4, "MOB"),
        (5, "DAT"),
    ]
    assert [(item.row.code, round(item.score or 0, 4)) for item in result.rows] == EXPECTED_SCORES
    dat = result.rows[4]
    assert dat.missing == ("financial_value",)
    assert [(c.criterion, round(c.weight, 4), round(c.points, 2)) for c in dat.contributions] == [
        ("strategic_fit", 0.5714, 22.86),
        ("risk", 0.2143, 18.75),
        ("urgency", 0.2143, 5.36),
    ]
    erp = result.rows[1]
    assert [(c.criterion, c.raw) for c in erp.contributions] == [
        ("strategic_fit", 60.0),
        ("financial_value", 2000000.0),
        ("risk", 6.0),
        ("urgency", 4.0),
    ]


def test_the_largest_active_risk_counts_and_a_closed_one_does_not():
    # given: ERP's largest risk (2 x 3 = 6) and a closed 5 x 5
    world = example_world()
    RiskFactory(initiative=world["ERP"], probability=5, impact=5, status=RiskStatus.CLOSED)

    # when
    rows = {row.code: row for row in services.candidate_rows(services.CandidateFilters())}

    # then
    assert rows["ERP"].values["risk"] == 6
    assert rows["MOB"].values["risk"] == 20


def test_without_figures_a_candidate_names_what_is_missing_and_has_no_score():
    # given: an idea with nothing assessed and no engine score
    InitiativeFactory(code="NEW", stage=Stage.IDEA, actual_start=None)

    # when
    result = services.candidate_ranking(services.CandidateFilters())

    # then
    assert result.rows[0].score is None
    assert result.rows[0].missing == ("strategic_fit", "financial_value", "risk", "urgency")


def test_candidates_are_filtered_by_stage_program_and_category():
    # given
    program = ProgramFactory(name="Retail")
    candidate("CRM", program=program)
    candidate("ERP", stage=Stage.IN_DELIVERY)
    candidate("MOB", category="run")

    def codes(**filters):
        return [row.code for row in services.candidate_rows(services.CandidateFilters(**filters))]

    # then
    assert codes() == ["CRM", "MOB"]
    assert codes(stages=(Stage.IN_DELIVERY,)) == ["ERP"]
    assert codes(program=program.pk) == ["CRM"]
    assert codes(category="run") == ["MOB"]


def test_filters_from_a_malformed_query_fall_back_to_the_defaults():
    filters = services.CandidateFilters.from_query(
        {"stage": ["nope", "<script>"], "program": ["99999999999999"], "category": ["x"]}
    )
    assert filters == services.CandidateFilters()


def test_wsjf_ranks_the_sized_and_lists_the_unsized_last_unranked():
    # given
    example_world()
    InitiativeFactory(code="AAA", stage=Stage.IDEA, actual_start=None, wsjf_business_value=20)

    # when
    result = services.candidate_ranking(services.CandidateFilters(), method="wsjf")

    # then: docs/planning-priorities.md's WSJF table
    assert [(item.rank, item.row.code, item.cost_of_delay, item.wsjf) for item in result.rows] == [
        (1, "REC", 31, 3.875),
        (2, "MOB", 20, 4.0),
        (3, "CRM", 26, 2.0),
        (4, "ERP", 16, 2.0),
        (5, "DAT", 18, 0.9),
        (None, "AAA", None, None),
    ]


def test_priority_scores_rank_over_exactly_the_given_set():
    # given
    world = example_world()
    ids = [world[code].pk for code in ("CRM", "ERP", "MOB", "DAT")]

    # when
    scores = priority_scores([*ids, 10**9])

    # then: the four optional candidates (NPV normalised among them, as in the docs' example)
    assert {pk: round(score, 4) for pk, score in scores.items()} == {
        world["CRM"].pk: 66.7159,
        world["ERP"].pk: 77.125,
        world["MOB"].pk: 54.125,
        world["DAT"].pk: 46.9643,
    }
    # over two of them the NPV's min-max is theirs alone: ERP 1, CRM 0
    two = priority_scores([world["CRM"].pk, world["ERP"].pk])
    assert round(two[world["ERP"].pk], 4) == 77.125
    assert round(two[world["CRM"].pk], 4) == round(32 + 0 + 100 * 0.15 * 13 / 24 + 7.5, 4)
    assert priority_scores([]) == {}


def test_priority_scores_count_queries_independently_of_the_set(django_assert_max_num_queries):
    few = [candidate("CRM").pk]
    with django_assert_max_num_queries(3):
        priority_scores(few)
    many = [InitiativeFactory(urgency=3).pk for _ in range(30)]
    with django_assert_max_num_queries(3):
        assert len(priority_scores(many)) == 30


def test_the_ranking_reads_a_constant_number_of_queries(django_assert_num_queries):
    example_world()
    services.current_scoring_model()
    with django_assert_num_queries(2):
        services.candidate_ranking(services.CandidateFilters())
    for number in range(40):
        InitiativeFactory(stage=Stage.PROPOSED, urgency=1 + number % 5, actual_start=None)
    with django_assert_num_queries(2):
        assert len(services.candidate_ranking(services.CandidateFilters()).rows) == 45


def test_the_pmo_saves_a_new_version_and_it_becomes_current(pmo):
    # when
    created = services.scoring_model_create(
        user=pmo,
        weights={"strategic_fit": "20", "financial_value": "30", "risk": "15", "urgency": "35"},
        normalisations={"urgency": "min_max"},
        rationale="Board: urgency counts more",
        based_on=1,
    )

    # then
    assert created.number == 2
    assert services.current_scoring_model() == created
    assert created.model().weights() == {
        "strategic_fit": 0.2,
        "financial_value": 0.3,
        "risk": 0.15,
        "urgency": 0.35,
    }
    assert created.model().criteria[3].normalisation is ranking.Normalisation.MIN_MAX
    assert created.created_by == pmo


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_only_the_pmo_changes_the_scoring_model(persona):
    with pytest.raises(NotAllowed):
        services.scoring_model_create(user=persona, weights={"urgency": "50"}, rationale="Mine", based_on=1)
    assert ScoringModelVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("weights", "normalisations", "rationale", "based_on", "field"),
    [
        ({"urgency": "-1"}, {}, "Why", 1, "weight_urgency"),
        ({"urgency": "NaN"}, {}, "Why", 1, "weight_urgency"),
        ({"urgency": "abc"}, {}, "Why", 1, "weight_urgency"),
        ({"urgency": "1001"}, {}, "Why", 1, "weight_urgency"),
        (dict.fromkeys(services.CRITERIA, "0"), {}, "Why", 1, "weight_strategic_fit"),
        ({}, {"financial_value": "fixed"}, "Why", 1, "normalisation_financial_value"),
        ({}, {"urgency": "log"}, "Why", 1, "normalisation_urgency"),
        ({}, {}, "  ", 1, "rationale"),
        ({}, {}, "Why", 7, None),
    ],
)
def test_a_refused_version_names_its_field_and_writes_nothing(
    pmo, weights, normalisations, rationale, based_on, field
):
    with pytest.raises(ApplicationError) as refused:
        services.scoring_model_create(
            user=pmo, weights=weights, normalisations=normalisations, rationale=rationale, based_on=based_on
        )
    assert ScoringModelVersion.objects.count() == 1
    if field:
        assert field in refused.value.field_errors


def test_the_ranking_under_an_earlier_version_uses_its_weights(pmo):
    # given: version 2 puts all the weight on urgency
    example_world()
    services.scoring_model_create(
        user=pmo,
        weights={"strategic_fit": "0", "financial_value": "0", "risk": "0", "urgency": "1"},
        rationale="Only urgency",
        based_on=1,
    )

    # when
    now = services.candidate_ranking(services.CandidateFilters())
    before = services.candidate_ranking(services.CandidateFilters(), version=services.scoring_model(1))

    # then: urgency 5 (MOB 100) before 4 (ERP 75); version 1 as in the docs
    assert [(item.row.code, item.score) for item in now.rows] == [
        ("REC", 100.0),
        ("MOB", 100.0),
        ("ERP", 75.0),
        ("CRM", 50.0),
        ("DAT", 25.0),
    ]
    assert [item.row.code for item in before.rows] == ["REC", "ERP", "CRM", "MOB", "DAT"]


def test_sensitivity_from_the_database_matches_the_docs():
    # given: the four optional candidates
    for code in ("CRM", "ERP", "MOB", "DAT"):
        candidate(code)

    # when
    (report,), rows = services.ranking_sensitivity(services.CandidateFilters(), tops=(1,))

    # then: docs/planning-priorities.md's sensitivity table
    assert report.members == ("ERP",)
    assert [
        (
            c.criterion,
            c.up and (round(c.up.weight, 4), c.up.entering),
            c.down and (round(c.down.weight, 4), c.down.entering),
        )
        for c in report.criteria
    ] == [
        ("strategic_fit", (0.6054, "CRM"), None),
        ("financial_value", None, (0.0909, "MOB")),
        ("risk", (0.7558, "DAT"), None),
        ("urgency", (0.5573, "MOB"), None),
    ]
    assert [row.code for row in rows] == ["CRM", "DAT", "ERP", "MOB"]
