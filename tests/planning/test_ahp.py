"""AHP weights and consistency reproduce published and closed-form results (planning.ahp)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from planning.ahp import nearest_scale_value, pairwise_weights, scale_value

LEADER_CRITERIA = ("Experience", "Education", "Charisma", "Age")
Judgement = int | Fraction
LEADER_JUDGEMENTS: dict[tuple[str, str], Judgement] = {
    ("Experience", "Education"): 4,
    ("Experience", "Charisma"): 3,
    ("Experience", "Age"): 7,
    ("Education", "Charisma"): Fraction(1, 3),
    ("Education", "Age"): 3,
    ("Charisma", "Age"): 5,
}
CANDIDATES = ("Tom", "Dick", "Harry")
# (Tom vs Dick, Tom vs Harry, Dick vs Harry) per criterion
LEADER_ALTERNATIVES: dict[str, tuple[Judgement, Judgement, Judgement]] = {
    "Experience": (Fraction(1, 4), 4, 9),
    "Education": (3, Fraction(1, 5), Fraction(1, 7)),
    "Charisma": (5, 9, 4),
    "Age": (Fraction(1, 3), 5, 9),
}


def rounded(values, places):
    return [round(value, places) for value in values]


def test_the_leader_example_criteria_weights():
    # given the criteria judgements of Wikipedia's "Analytic hierarchy process - leader example"
    result = pairwise_weights(LEADER_CRITERIA, LEADER_JUDGEMENTS)

    # then the eigenvector weights; the article prints .547, .127, .270, .056: the last three match to its
    # three decimals, Experience computes to 0.5476 (the article's .547 is 0.0006 lower)
    assert rounded(result.weights, 4) == [0.5476, 0.1266, 0.2699, 0.0559]
    assert rounded(result.weights[1:], 3) == [0.127, 0.270, 0.056]
    assert round(result.lambda_max, 4) == 4.1184
    assert round(result.consistency_index, 4) == 0.0395
    assert round(result.consistency_ratio, 4) == 0.0439
    assert result.inconsistent is False


def test_the_leader_example_overall_priorities_match_the_published_ones():
    # given the criteria weights and the three candidates compared under each criterion
    criteria = pairwise_weights(LEADER_CRITERIA, LEADER_JUDGEMENTS)
    overall = [0.0, 0.0, 0.0]
    for criterion, (tom_dick, tom_harry, dick_harry) in LEADER_ALTERNATIVES.items():
        local = pairwise_weights(
            CANDIDATES,
            {("Tom", "Dick"): tom_dick, ("Tom", "Harry"): tom_harry, ("Dick", "Harry"): dick_harry},
        )
        for position, weight in enumerate(local.weights):
            overall[position] += criteria.weight_of(criterion) * weight

    # then Tom .358, Dick .493, Harry .149, as published
    assert rounded(overall, 3) == [0.358, 0.493, 0.149]


def test_three_items_match_the_closed_form_geometric_mean_and_lambda_max():
    # given a12 = 3, a13 = 5, a23 = 1: for n = 3 the principal eigenvector is the normalised row geometric
    # mean, and λmax = 1 + (a13 / (a12 a23))^(1/3) + (a12 a23 / a13)^(1/3)
    result = pairwise_weights(("A", "B", "C"), {("A", "B"): 3, ("A", "C"): 5, ("B", "C"): 1})

    means = [15 ** (1 / 3), (1 / 3) ** (1 / 3), (1 / 5) ** (1 / 3)]
    assert result.weights == pytest.approx([mean / sum(means) for mean in means], abs=1e-12)
    assert result.lambda_max == pytest.approx(1 + (5 / 3) ** (1 / 3) + (3 / 5) ** (1 / 3), abs=1e-12)
    # CI = (λmax - 3) / 2, RI(3) = 0.58
    assert round(result.consistency_ratio, 4) == 0.0251
    # and with three items every judgement deviates by (a12 a23 / a13)^(1/3) or its inverse: the first is named
    pair = result.most_inconsistent
    assert pair is not None
    assert (pair.first, pair.second, pair.suggested) == ("A", "B", Fraction(4))
    assert pair.deviation == pytest.approx((5 / 3) ** (1 / 3), abs=1e-12)


def test_the_worked_example_of_the_docs_is_flagged_with_its_most_inconsistent_pair():
    # given the four objectives of docs/planning-priorities.md
    result = pairwise_weights(
        ("Growth", "Efficiency", "Compliance", "Customer"),
        {
            ("Growth", "Efficiency"): 3,
            ("Growth", "Compliance"): 5,
            ("Growth", "Customer"): 2,
            ("Efficiency", "Compliance"): 2,
            ("Efficiency", "Customer"): 4,
            ("Compliance", "Customer"): Fraction(1, 3),
        },
    )

    # then
    assert rounded(result.weights, 4) == [0.4676, 0.2848, 0.0846, 0.1630]
    assert round(result.lambda_max, 4) == 4.4297
    assert round(result.consistency_index, 4) == 0.1432
    assert result.random_index == 0.90
    assert round(result.consistency_ratio, 4) == 0.1591
    assert result.inconsistent is True
    pair = result.most_inconsistent
    assert pair is not None
    assert (pair.first, pair.second, pair.judgement, pair.suggested) == (
        "Efficiency",
        "Customer",
        Fraction(4),
        Fraction(2),
    )
    assert round(pair.deviation, 4) == 2.2883


def test_following_the_suggestion_brings_the_docs_example_under_the_threshold():
    result = pairwise_weights(
        ("Growth", "Efficiency", "Compliance", "Customer"),
        {
            ("Growth", "Efficiency"): 3,
            ("Growth", "Compliance"): 5,
            ("Growth", "Customer"): 2,
            ("Efficiency", "Compliance"): 2,
            ("Efficiency", "Customer"): 2,
            ("Compliance", "Customer"): Fraction(1, 3),
        },
    )

    assert rounded(result.weights, 4) == [0.4837, 0.2314, 0.0880, 0.1968]
    assert round(result.lambda_max, 4) == 4.1587
    assert round(result.consistency_ratio, 4) == 0.0588
    assert result.inconsistent is False


def test_a_consistent_matrix_has_lambda_max_n_and_no_inconsistent_pair():
    # given weights 4 : 2 : 1 judged exactly
    result = pairwise_weights(("A", "B", "C"), {("A", "B"): 2, ("A", "C"): 4, ("B", "C"): 2})

    assert result.weights == pytest.approx([4 / 7, 2 / 7, 1 / 7], abs=1e-12)
    assert result.lambda_max == pytest.approx(3, abs=1e-12)
    assert result.consistency_ratio == 0.0
    assert result.most_inconsistent is None


@pytest.mark.parametrize(
    ("items", "judgements", "weights"),
    [
        (("Only",), {}, [1.0]),
        (("A", "B"), {("A", "B"): 9}, [0.9, 0.1]),
        (("A", "B"), {("B", "A"): 3}, [0.25, 0.75]),
    ],
)
def test_one_or_two_items_are_always_consistent(items, judgements, weights):
    result = pairwise_weights(items, judgements)

    assert result.weights == pytest.approx(weights, abs=1e-12)
    assert result.consistency_ratio == 0.0
    assert result.inconsistent is False


def test_a_circular_judgement_is_flagged_and_names_the_first_pair():
    # given A > B, B > C but C > A, all at 9: every judgement deviates equally (by 9), so the first is named
    result = pairwise_weights(("A", "B", "C"), {("A", "B"): 9, ("B", "C"): 9, ("A", "C"): Fraction(1, 9)})

    assert result.weights == pytest.approx([1 / 3, 1 / 3, 1 / 3], abs=1e-12)
    assert result.inconsistent is True
    pair = result.most_inconsistent
    assert pair is not None
    assert (pair.first, pair.second, pair.judgement, pair.suggested) == ("A", "B", Fraction(9), Fraction(1))
    assert pair.deviation == pytest.approx(9.0, abs=1e-9)


@pytest.mark.parametrize(
    ("judgements", "message"),
    [
        ({("A", "B"): 2, ("A", "C"): 3}, r"The pair \(B, C\) has no judgement"),
        ({("A", "B"): 2, ("B", "A"): 3, ("A", "C"): 1, ("B", "C"): 1}, r"The pair \(A, B\) is judged twice"),
        ({("A", "B"): 10, ("A", "C"): 1, ("B", "C"): 1}, r"Judgement \(A, B\): 10 is not on Saaty's scale"),
        ({("A", "B"): 2.5, ("A", "C"): 1, ("B", "C"): 1}, r"Judgement \(A, B\): 2.5 is not on Saaty's scale"),
        ({("A", "B"): 0, ("A", "C"): 1, ("B", "C"): 1}, r"Judgement \(A, B\): A judgement must be positive"),
        ({("A", "B"): -3, ("A", "C"): 1, ("B", "C"): 1}, r"Judgement \(A, B\): A judgement must be positive"),
        ({("A", "D"): 2, ("A", "C"): 1, ("B", "C"): 1}, r"Judgement \(A, D\): 'D' is not one of the items"),
        ({("A", "A"): 2}, r"Judgement \(A, A\) compares an item with itself"),
    ],
)
def test_bad_judgements_are_refused_naming_the_pair(judgements, message):
    with pytest.raises(ValueError, match=message):
        pairwise_weights(("A", "B", "C"), judgements)


def test_more_than_fifteen_items_are_refused():
    names = [f"O{k:02}" for k in range(16)]
    judgements = {(a, b): 1 for position, a in enumerate(names) for b in names[position + 1 :]}

    with pytest.raises(ValueError, match="At most 15 items can be compared at once, not 16"):
        pairwise_weights(names, judgements)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Fraction(1)),
        (9, Fraction(9)),
        (0.3333333, Fraction(1, 3)),
        (Fraction(1, 9), Fraction(1, 9)),
        (1 / 7, Fraction(1, 7)),
    ],
)
def test_scale_values_are_read_as_whole_numbers_or_their_reciprocals(value, expected):
    assert scale_value(value) == expected


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (1.0, Fraction(1)),
        (2.49, Fraction(2)),
        (2.51, Fraction(3)),
        (14.0, Fraction(9)),
        (0.3, Fraction(1, 3)),
        (0.01, Fraction(1, 9)),
    ],
)
def test_a_ratio_is_rounded_to_the_scale(ratio, expected):
    assert nearest_scale_value(ratio) == expected
