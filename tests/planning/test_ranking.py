"""The scoring model, WSJF and the sensitivity of the top rank (planning.ranking), with the docs' worked examples."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from planning.ranking import (
    Candidate,
    Criterion,
    Normalisation,
    ScoringModel,
    WsjfItem,
    default_scoring_model,
    rank_candidates,
    rank_wsjf,
    sensitivity,
)

OPTIONAL = (
    Candidate(
        "CRM",
        "Customer portal",
        {"strategic_fit": 80, "financial_value": 1_200_000, "risk": 12, "urgency": 3},
    ),
    Candidate(
        "ERP", "Finance upgrade", {"strategic_fit": 60, "financial_value": 2_000_000, "risk": 6, "urgency": 4}
    ),
    Candidate(
        "MOB",
        "Mobile field app",
        {"strategic_fit": 90, "financial_value": -200_000, "risk": 20, "urgency": 5},
    ),
    Candidate(
        "DAT", "Data platform", {"strategic_fit": 40, "financial_value": None, "risk": 4, "urgency": 2}
    ),
)
REGULATORY = Candidate(
    "REC",
    "Records retention",
    {"strategic_fit": 30, "financial_value": -50_000, "risk": 8, "urgency": 5},
    mandatory=True,
)


def explained(item):
    return [
        (c.criterion, round(c.normalised, 4), round(c.weight, 4), round(c.points, 4))
        for c in item.contributions
    ]


def test_the_worked_example_ranks_and_explains_each_candidate():
    # given the docs' five candidates under the default scoring model (version 1)
    ranking = rank_candidates(default_scoring_model(), [*OPTIONAL, REGULATORY])

    # then the mandatory item comes first whatever its score, then the others by score
    assert ranking.model_version == 1
    assert [(i.rank, i.key, i.mandatory, i.score and round(i.score, 4)) for i in ranking.items] == [
        (1, "REC", True, 39.6705),
        (2, "ERP", False, 77.125),
        (3, "CRM", False, 66.7159),
        (4, "MOB", False, 54.125),
        (5, "DAT", False, 46.9643),
    ]
    # and ERP: fit 60/100, NPV (2.0M + 0.2M) / 2.2M, risk (25 - 6) / 24, urgency (4 - 1) / 4
    assert explained(ranking.items[1]) == [
        ("strategic_fit", 0.6, 0.4, 24.0),
        ("financial_value", 1.0, 0.3, 30.0),
        ("risk", 0.7917, 0.15, 11.875),
        ("urgency", 0.75, 0.15, 11.25),
    ]
    # and CRM's NPV is (1.2M + 0.2M) / 2.2M = 7/11
    assert ranking.items[2].contributions[1].normalised == pytest.approx(7 / 11, abs=1e-12)
    # and DAT has no NPV: its 0.30 is shared among the others in proportion (0.4 / 0.7, 0.15 / 0.7, 0.15 / 0.7)
    dat = ranking.items[4]
    assert dat.missing == ("financial_value",)
    assert explained(dat) == [
        ("strategic_fit", 0.4, 0.5714, 22.8571),
        ("risk", 0.875, 0.2143, 18.75),
        ("urgency", 0.25, 0.2143, 5.3571),
    ]
    assert dat.contributions[0].raw == 40.0


def test_a_candidate_with_no_value_at_all_has_no_score_and_ranks_last():
    ranking = rank_candidates(
        default_scoring_model(),
        [Candidate("EMPTY", "Unknown", {}), Candidate("ZED", "Something", {"strategic_fit": 10})],
    )

    assert [(i.key, i.score) for i in ranking.items] == [("ZED", 10.0), ("EMPTY", None)]
    assert ranking.items[1].missing == ("strategic_fit", "financial_value", "risk", "urgency")


def test_equal_values_under_min_max_count_as_a_half_and_ties_rank_by_key():
    model = ScoringModel(1, (Criterion("financial_value", "NPV", 1.0, Normalisation.MIN_MAX),))

    ranking = rank_candidates(
        model,
        [Candidate("B", "Bee", {"financial_value": 5.0}), Candidate("A", "Ay", {"financial_value": 5.0})],
    )

    assert [(i.rank, i.key, i.score) for i in ranking.items] == [(1, "A", 50.0), (2, "B", 50.0)]


def test_an_npv_from_the_business_case_is_scored_as_a_number():
    model = ScoringModel(1, (Criterion("financial_value", "NPV", 1.0, Normalisation.MIN_MAX),))

    ranking = rank_candidates(
        model,
        [
            Candidate("A", "Ay", {"financial_value": Decimal("114108.15")}),
            Candidate("B", "Bee", {"financial_value": Decimal("-100.00")}),
        ],
    )

    assert [(i.key, i.score) for i in ranking.items] == [("A", 100.0), ("B", 0.0)]
    assert ranking.items[0].contributions[0].raw == 114108.15


def test_weights_are_used_in_proportion():
    model = ScoringModel(
        2,
        (
            Criterion("strategic_fit", "Fit", 2, Normalisation.FIXED, low=0, high=100),
            Criterion("urgency", "Urgency", 6, Normalisation.FIXED, low=1, high=5),
        ),
    )

    ranking = rank_candidates(model, [Candidate("X", "X", {"strategic_fit": 100, "urgency": 1})])

    assert ranking.items[0].score == pytest.approx(25.0, abs=1e-12)


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        (
            [Candidate("X", "X", {"risk": 30})],
            r"Candidate 'X': Risk exposure 30 is outside its scale 1 to 25",
        ),
        ([Candidate("X", "X", {"speed": 3})], r"Candidate 'X': speed is not a criterion of the model"),
        ([Candidate("X", "X", {}), Candidate("X", "Y", {})], "Each candidate must have its own key"),
    ],
)
def test_bad_candidates_are_refused(candidates, message):
    with pytest.raises(ValueError, match=message):
        rank_candidates(default_scoring_model(), candidates)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Criterion("x", "X", -1, Normalisation.MIN_MAX), "the weight must not be negative"),
        (
            lambda: Criterion("x", "X", 1, Normalisation.FIXED, low=5, high=5),
            "low end must be below its high",
        ),
        (lambda: ScoringModel(1, (Criterion("x", "X", 0, Normalisation.MIN_MAX),)), "positive weight"),
        (
            lambda: ScoringModel(1, (Criterion("x", "X", 1, Normalisation.MIN_MAX),) * 2),
            "only once in a scoring model",
        ),
    ],
)
def test_bad_models_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# WSJF ---------------------------------------------------------------------------------------------------------


def test_the_wsjf_worked_example_ranks_mandatory_first_then_by_wsjf_then_by_key():
    items = [
        WsjfItem("ERP", "Finance upgrade", 8, 5, 3, 8),
        WsjfItem("CRM", "Customer portal", 13, 8, 5, 13),
        WsjfItem("MOB", "Mobile field app", 5, 13, 2, 5),
        WsjfItem("DAT", "Data platform", 8, 2, 8, 20),
        WsjfItem("REC", "Records retention", 3, 20, 8, 8, mandatory=True),
    ]

    ranked = rank_wsjf(items)

    assert [(r.rank, r.item.key, r.cost_of_delay, r.item.job_size, r.wsjf) for r in ranked] == [
        (1, "REC", 31, 8, 3.875),
        (2, "MOB", 20, 5, 4.0),
        (3, "CRM", 26, 13, 2.0),
        (4, "ERP", 16, 8, 2.0),
        (5, "DAT", 18, 20, 0.9),
    ]


def test_a_wsjf_part_off_the_scale_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"Item 'X': job size 4 is not on the scale 1, 2, 3, 5, 8, 13, 20"):
        WsjfItem("X", "X", 1, 1, 1, 4)


def test_wsjf_items_need_their_own_keys():
    with pytest.raises(ValueError, match="Each item must have its own key"):
        rank_wsjf([WsjfItem("X", "X", 1, 1, 1, 1), WsjfItem("X", "Y", 1, 1, 1, 1)])


# Sensitivity ----------------------------------------------------------------------------------------------------


def test_the_sensitivity_worked_example():
    # given the four optional candidates (ERP leads with 77.125)
    result = sensitivity(default_scoring_model(), OPTIONAL)

    assert result.leader == "ERP"
    found = {
        s.criterion: (
            s.weight,
            None if s.up is None else (round(s.up.weight, 6), s.up.new_leader),
            None if s.down is None else (round(s.down.weight, 6), s.down.new_leader),
        )
        for s in result.criteria
    }
    # strategic fit up: 0.6w + (1 - w)·R_ERP = 0.8w + (1 - w)·R_CRM gives w = 135/223
    # financial value down: w + (1 - w)·0.673214 = (1 - w)·0.773214 gives w = 1/11
    # urgency up: w = 0.2675 / 0.48 = 107/192; risk up: DAT, whose score is a ratio (its NPV is missing)
    assert found == {
        "strategic_fit": (0.4, (round(float(Fraction(135, 223)), 6), "CRM"), None),
        "financial_value": (0.3, None, (round(1 / 11, 6), "MOB")),
        "risk": (0.15, (0.755825, "DAT"), None),
        "urgency": (0.15, (round(107 / 192, 6), "MOB"), None),
    }
    assert result.criteria[0].up is not None
    assert result.criteria[0].up.change == pytest.approx(135 / 223 - 0.4, abs=1e-12)


def test_a_mandatory_leader_is_never_displaced_by_optional_candidates():
    result = sensitivity(default_scoring_model(), [*OPTIONAL, REGULATORY])

    assert result.leader == "REC"
    assert all(s.up is None and s.down is None for s in result.criteria)


def test_a_tie_at_the_base_weights_hands_over_the_lead_at_once():
    # given two candidates tied at 50 with opposite profiles: A leads by its key
    model = ScoringModel(
        1,
        (
            Criterion("strategic_fit", "Fit", 0.5, Normalisation.FIXED, low=0, high=100),
            Criterion("urgency", "Urgency", 0.5, Normalisation.FIXED, low=1, high=5),
        ),
    )
    candidates = [
        Candidate("A", "A", {"strategic_fit": 0, "urgency": 5}),
        Candidate("B", "B", {"strategic_fit": 100, "urgency": 1}),
    ]

    result = sensitivity(model, candidates)

    fit = result.criteria[0]
    assert fit.up is not None
    assert (fit.up.weight, fit.up.change, fit.up.new_leader) == (0.5, 0.0, "B")
    assert fit.down is None


def test_no_candidate_means_no_leader():
    assert sensitivity(default_scoring_model(), []).leader is None


def moved_model(model: ScoringModel, criterion: str, weight: float) -> ScoringModel:
    """The model with one weight set to `weight` and the others rescaled in proportion (sum 1)."""
    base = model.weights()
    rest = (1 - weight) / (1 - base[criterion])
    return ScoringModel(
        model.version,
        tuple(
            Criterion(
                c.key,
                c.label,
                weight if c.key == criterion else base[c.key] * rest,
                c.normalisation,
                c.higher_is_better,
                c.low,
                c.high,
            )
            for c in model.criteria
        ),
    )


def leader_and_gap(model: ScoringModel, candidates: list[Candidate]) -> tuple[str, float]:
    """The first-ranked key, and its lead over the second when both are scored in the same group."""
    items = rank_candidates(model, candidates).items
    first, second = items[0], items[1]
    if first.score is None or second.score is None or first.mandatory != second.mandatory:
        return first.key, 100.0
    return first.key, first.score - second.score


values = st.one_of(st.none(), st.integers(min_value=0, max_value=10))


@st.composite
def cases(draw):
    keys = ("strategic_fit", "financial_value", "risk", "urgency")
    weights = draw(st.lists(st.integers(min_value=1, max_value=10), min_size=4, max_size=4))
    model = ScoringModel(
        1,
        (
            Criterion("strategic_fit", "Fit", weights[0], Normalisation.FIXED, low=0, high=10),
            Criterion("financial_value", "NPV", weights[1], Normalisation.MIN_MAX),
            Criterion(
                "risk", "Risk", weights[2], Normalisation.FIXED, higher_is_better=False, low=0, high=10
            ),
            Criterion("urgency", "Urgency", weights[3], Normalisation.FIXED, low=0, high=10),
        ),
    )
    count = draw(st.integers(min_value=2, max_value=5))
    candidates = [
        Candidate(
            f"C{n}", f"Candidate {n}", {key: draw(values) for key in keys}, mandatory=draw(st.booleans())
        )
        for n in range(count)
    ]
    return model, candidates


EPSILON = 1e-7


@settings(max_examples=150, deadline=None)
@given(cases())
def test_the_reported_crossing_is_where_the_leader_changes(case):
    # given any model and candidates
    model, candidates = case
    note(repr(candidates))
    note(repr(model.weights()))
    result = sensitivity(model, candidates)
    assume(result.leader is not None)

    for entry in result.criteria:
        for crossing, end, step in ((entry.up, 1.0, EPSILON), (entry.down, 0.0, -EPSILON)):
            if crossing is None:
                # then "never": the leader holds all the way to the end of the range (and half way there)
                for weight in (end, (entry.weight + end) / 2):
                    leader, gap = leader_and_gap(moved_model(model, entry.criterion, weight), candidates)
                    assume(gap > 1e-6)
                    assert leader == result.leader
                continue
            # then just before the crossing the leader holds, and just past it the new leader leads
            note(f"{entry.criterion} {entry.weight} {crossing}")
            if crossing.weight != entry.weight and 0 <= crossing.weight - step <= 1:
                before, gap = leader_and_gap(
                    moved_model(model, entry.criterion, crossing.weight - step), candidates
                )
                assume(gap > 1e-6)
                assert before == result.leader
            if crossing.weight == end:
                at_end, _ = leader_and_gap(moved_model(model, entry.criterion, end), candidates)
                assert at_end == crossing.new_leader != result.leader
            elif 0 <= crossing.weight + step <= 1:
                after, gap = leader_and_gap(
                    moved_model(model, entry.criterion, crossing.weight + step), candidates
                )
                assume(gap > 1e-6)
                assert after == crossing.new_leader != result.leader
