"""The lexical similarity of answers (surveys.analysis): the worked example of docs/surveys.md reproduced
exactly, and its bounds."""

from __future__ import annotations

import math

import pytest

from surveys import analysis, semantic
from tests.surveys.conftest import BUSINESS_GOALS, IT_GOALS


def test_the_analyzer_drops_stop_words_and_stems_as_the_docs_say():
    assert analysis.stems(BUSINESS_GOALS) == [
        "grow",
        "onlin",
        "sale",
        "cut",
        "deliveri",
        "cost",
        "holiday",
        "season",
    ]
    assert analysis.stems(IT_GOALS) == ["replac", "legaci", "order", "system", "cut", "run", "cost"]


def test_worked_example_similarity_of_one_business_and_one_it_answer():
    # given the worked example's two answers (2 shared stems, 6 only business, 5 only IT)
    answers = [(1, "business", BUSINESS_GOALS), (2, "it", IT_GOALS)]

    # when their similarity is computed
    result = analysis.question_similarity(answers)

    # then it is 2 / sqrt((2 + 6 w²)(2 + 5 w²)) with w = 1 + ln(3/2), as docs/surveys.md works it out
    w = 1 + math.log(3 / 2)
    assert result.sides == pytest.approx(2 / math.sqrt((2 + 6 * w * w) * (2 + 5 * w * w)), abs=1e-12)
    assert result.sides is not None
    assert round(result.sides, 4) == 0.1559
    assert result.pairs == {(1, 2): pytest.approx(result.sides, abs=1e-12)}


def test_worked_example_with_a_second_business_leader():
    # given a second business leader who writes only about delivery costs
    answers = [
        (1, "business", BUSINESS_GOALS),
        (3, "business", "Delivery costs must fall."),
        (2, "it", IT_GOALS),
    ]

    # when the similarity is computed
    result = analysis.question_similarity(answers)

    # then the business side's mean vector is compared with IT's (figures of docs/surveys.md)
    assert result.sides is not None
    assert round(result.sides, 4) == 0.1590
    assert {key: round(value, 4) for key, value in result.pairs.items()} == {
        (1, 2): 0.1493,
        (1, 3): 0.2619,
        (2, 3): 0.1032,
    }


def test_identical_answers_are_similar_one():
    result = analysis.question_similarity([(1, "business", BUSINESS_GOALS), (2, "it", BUSINESS_GOALS)])
    assert result.sides == 1.0
    assert result.pairs == {(1, 2): 1.0}


def test_disjoint_vocabularies_are_similar_zero():
    result = analysis.question_similarity(
        [(1, "business", "Grow sales quickly"), (2, "it", "Replace legacy servers")]
    )
    assert result.sides == 0.0


def test_a_side_without_answers_has_no_similarity():
    assert analysis.question_similarity([(1, "business", BUSINESS_GOALS)]).sides is None


def test_answers_with_only_stop_words_are_similar_zero():
    assert analysis.question_similarity([(1, "business", "the and of"), (2, "it", "it is")]).sides == 0.0


def test_agreement_index_is_100_times_the_mean_over_answered_questions():
    assert analysis.agreement_index([0.1559, None, 0.5]) == pytest.approx(32.795)
    assert analysis.agreement_index([None]) is None


def test_vocabulary_splits_shared_and_one_sided_terms_with_counts():
    vocabulary = analysis.vocabulary(
        [("business", BUSINESS_GOALS), ("it", IT_GOALS), ("it", "Costs, costs.")]
    )
    assert [(t.word, t.business, t.it) for t in vocabulary.shared] == [("costs", 1, 3), ("cut", 1, 1)]
    assert [t.word for t in vocabulary.business_only] == [
        "delivery",
        "grow",
        "holiday",
        "online",
        "sales",
        "season",
    ]
    assert [t.word for t in vocabulary.it_only] == ["legacy", "order", "replace", "running", "system"]


def test_scale_gaps_compare_the_sides_means():
    gaps = analysis.scale_gaps(
        [(1, "O1"), (2, "O2")], [(1, "business", 5), (1, "business", 4), (1, "it", 3), (2, "it", 2)]
    )
    assert [(g.business, g.it, g.gap, g.is_gap) for g in gaps] == [
        (4.5, 3.0, 1.5, True),
        (None, 2.0, None, False),
    ]


def test_objective_mentions_need_half_the_title_stems():
    mentions = analysis.objective_mentions(
        [(1, "Grow online sales"), (2, "Reduce delivery costs"), (3, "Improve staff safety")],
        [("business", BUSINESS_GOALS), ("it", IT_GOALS)],
    )
    assert [(m.objective_id, m.business, m.it, m.nobody) for m in mentions] == [
        (1, True, False, False),
        (2, True, False, False),  # IT says "costs" only: 1 of 3 stems, short of 2
        (3, False, False, True),
    ]


def test_leader_matrix_averages_over_the_questions_both_answered():
    q1 = analysis.QuestionSimilarity(0.5, {(1, 2): 0.5, (1, 3): 0.2})
    q2 = analysis.QuestionSimilarity(0.1, {(1, 2): 0.1})
    assert analysis.leader_matrix([1, 2, 3], [q1, q2]) == [
        [1.0, pytest.approx(0.3), 0.2],
        [pytest.approx(0.3), 1.0, None],
        [0.2, None, 1.0],
    ]


def test_semantic_similarity_is_off_without_a_model(settings):
    settings.BEARING_SURVEY_EMBEDDING_MODEL = ""
    assert semantic.available() is False
    assert semantic.side_similarity(["a"], ["b"]) is None
    assert semantic.status() == "off: no embedding model is configured (BEARING_SURVEY_EMBEDDING_MODEL)"


def test_semantic_similarity_is_off_without_the_package(settings, monkeypatch):
    # given a model configured but the package not installed
    settings.BEARING_SURVEY_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
    monkeypatch.setattr(semantic.importlib.util, "find_spec", lambda name: None)

    # then the method is off and says why
    assert semantic.status() == "off: the sentence-transformers package is not installed"
    assert semantic.side_similarity(["a"], ["b"]) is None
