"""The sensitivity of the top N (planning.ranking.top_sensitivity): equal to the first-place sensitivity for
N = 1, checked on generated models by its definition for N up to 3, and the worked example for the top 2."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from planning.ranking import default_scoring_model, rank_candidates, sensitivity, top_sensitivity
from tests.planning.test_ranking import OPTIONAL, cases, moved_model

EPSILON = 1e-7


def top_and_gap(model, candidates, top):
    """The first `top` keys, and the gap at the boundary (N-th over N+1-th) when it is scored in one group."""
    items = rank_candidates(model, candidates).items
    members = frozenset(item.key for item in items[:top])
    if len(items) <= top:
        return members, 100.0
    last, first_out = items[top - 1], items[top]
    if last.score is None or first_out.score is None or last.mandatory != first_out.mandatory:
        return members, 100.0
    return members, last.score - first_out.score


@settings(max_examples=150, deadline=None)
@given(cases())
def test_the_top_1_equals_the_first_place_sensitivity(case):
    model, candidates = case
    first = sensitivity(model, candidates)
    top = top_sensitivity(model, candidates, 1)
    assert top.members == ((first.leader,) if first.leader else ())
    for one, many in zip(first.criteria, top.criteria, strict=True):
        for crossing, shift in ((one.up, many.up), (one.down, many.down)):
            assert (crossing is None) == (shift is None)
            if crossing is not None and shift is not None:
                assert shift.weight == pytest.approx(crossing.weight, abs=1e-9)
                assert (shift.entering, shift.leaving) == (crossing.new_leader, first.leader)


@settings(max_examples=150, deadline=None)
@given(cases(), st.integers(min_value=1, max_value=3))
def test_the_reported_shift_is_where_the_top_n_changes(case, top):
    # given any model and candidates
    model, candidates = case
    result = top_sensitivity(model, candidates, top)
    members = frozenset(result.members)
    note(repr(candidates))
    for entry in result.criteria:
        for shift, end, step in ((entry.up, 1.0, EPSILON), (entry.down, 0.0, -EPSILON)):
            if shift is None:
                # then "never": the top holds to the end of the range (and half way there)
                for weight in (end, (entry.weight + end) / 2):
                    now, gap = top_and_gap(moved_model(model, entry.criterion, weight), candidates, top)
                    assume(gap > 1e-6)
                    assert now == members
                continue
            # then just before the shift the top holds, and just past it `entering` is in and `leaving` out
            if shift.weight != entry.weight and 0 <= shift.weight - step <= 1:
                before, gap = top_and_gap(
                    moved_model(model, entry.criterion, shift.weight - step), candidates, top
                )
                assume(gap > 1e-6)
                assert before == members
            probe = shift.weight if shift.weight == end else shift.weight + step
            if 0 <= probe <= 1:
                after, gap = top_and_gap(moved_model(model, entry.criterion, probe), candidates, top)
                assume(gap > 1e-6 or shift.weight == end)
                assert shift.entering in after
                assert shift.leaving not in after
                assert shift.entering not in members
                assert shift.leaving in members


def test_the_worked_example_for_the_top_2():
    # given the four optional candidates of docs/planning-priorities.md: ERP and CRM are the top 2
    result = top_sensitivity(default_scoring_model(), OPTIONAL, 2)

    # then e.g. NPV falling to 0.1273 lets MOB pass CRM: CRM 0.6364 w + 0.6804 (1 - w) = MOB 0.7732 (1 - w)
    assert result.members == ("ERP", "CRM")
    assert [
        (
            c.criterion,
            c.up and (round(c.up.weight, 4), c.up.entering, c.up.leaving),
            c.down and (round(c.down.weight, 4), c.down.entering, c.down.leaving),
        )
        for c in result.criteria
    ] == [
        ("strategic_fit", (0.6604, "MOB", "ERP"), None),
        ("financial_value", None, (0.1273, "MOB", "CRM")),
        ("risk", (0.4137, "DAT", "CRM"), None),
        ("urgency", (0.321, "MOB", "CRM"), None),
    ]


def test_a_top_holding_every_candidate_or_split_by_the_mandatory_never_changes():
    model = default_scoring_model()
    assert all(c.up is None and c.down is None for c in top_sensitivity(model, OPTIONAL, 4).criteria)
    with pytest.raises(ValueError, match="at least one"):
        top_sensitivity(model, OPTIONAL, 0)
