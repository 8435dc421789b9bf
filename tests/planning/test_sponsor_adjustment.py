"""The sponsor adjustment (docs/scoring.md, "The sponsor adjustment"): the factor from a sponsor's record, the
ranking with the scoring model's switch on and off, the scenario with its own switch on and off, the records
read once for all the candidates, and the worked example reproduced exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.engine.policy import DEFAULT_POLICY
from core.errors import NotAllowed
from planning import optimiser
from planning.models import ScoringModelVersion
from planning.scenarios import load_inputs
from planning.services import ranking as ranking_services
from planning.services import scenarios as scenario_services
from planning.services.sponsor import sponsor_adjustments
from planning.sponsor import STRENGTH, adjustment, sponsor_factor
from tests.factories import UserFactory
from tests.planning.sponsor_world import NOON, TODAY, candidate, dana_record, example_world

MIN = DEFAULT_POLICY.signals.sponsor_min_initiatives


# the factor ----------------------------------------------------------------------------------------------------


def test_the_policy_values_are_the_documented_ones():
    assert (STRENGTH, MIN) == (0.5, 2)


@pytest.mark.parametrize(
    ("rate", "initiatives", "factor"),
    [
        (None, 0, 1.0),  # no record
        (None, 3, 1.0),  # nothing promised to date
        (0.52, 1, 1.0),  # one initiative: too thin
        (0.52, 2, 0.76),  # exactly the minimum: adjusted
        (0.52, 5, 0.76),
        (0.0, 2, 0.5),  # nothing realised: the largest discount
        (-0.4, 2, 0.5),  # a negative realisation counts as nothing, never below 1 - strength
        (1.0, 2, 1.0),
        (1.35, 4, 1.0),  # over-delivered: 1, never a bonus
        (0.7, 2, 0.85),
    ],
)
def test_the_factor(rate, initiatives, factor):
    assert sponsor_factor(rate, initiatives, strength=STRENGTH, min_initiatives=MIN) == factor


def test_the_strength_sets_the_floor_and_must_be_a_share():
    assert sponsor_factor(0.0, 2, strength=0.2, min_initiatives=2) == 0.8
    assert sponsor_factor(0.52, 2, strength=0.0, min_initiatives=2) == 1.0
    with pytest.raises(ValueError, match="from 0 to 1"):
        sponsor_factor(0.5, 2, strength=1.5, min_initiatives=2)


def test_the_adjustment_says_where_it_comes_from():
    dana = adjustment(Decimal("39000"), Decimal("75000"), 2, min_initiatives=MIN)
    assert (dana.factor, dana.factor_text, dana.percent) == (0.76, "0.76", 52)
    assert dana.apply(Decimal("1000000")) == Decimal("760000.00")
    assert dana.apply(None) is None
    assert dana.text == "sponsor's past initiatives realised 52% of promised benefits over 2 initiatives"
    thin = adjustment(Decimal("0"), Decimal("15000"), 1, min_initiatives=MIN)
    assert (thin.factor, thin.adjusts) == (1.0, False)
    assert thin.text == (
        "sponsor's past initiatives realised 0% of promised benefits over 1 initiative: too few to judge, "
        "no adjustment"
    )
    generous = adjustment(Decimal("80000"), Decimal("50000"), 2, min_initiatives=MIN)
    assert (generous.factor, generous.percent) == (1.0, 160)
    assert generous.text.endswith("over 2 initiatives: no shortfall, no adjustment")
    # 69.99% reads 69%, as the signal says it
    assert adjustment(Decimal("34999.99"), Decimal("50000"), 2, min_initiatives=MIN).percent == 69


# the records, read from the database ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_dana_s_record_is_the_signal_s_and_gives_0_76():
    # given the worked example of docs/scoring.md (rules 16 to 18)
    world = example_world()

    # when
    found = sponsor_adjustments(
        {world["NEW-1"].pk: world["dana"].pk, world["ALT-2"].pk: world["ALT-2"].sponsor_id, 999: None},
        today=TODAY,
    )

    # then
    new = found[world["NEW-1"].pk]
    assert (new.realised, new.promised, new.initiatives, new.factor) == (
        Decimal("39000.00"),
        Decimal("75000.00"),
        2,
        0.76,
    )
    assert found[world["ALT-2"].pk].factor == 1.0
    assert found[world["ALT-2"].pk].text.startswith("no track record")
    assert found[999].factor == 1.0


@pytest.mark.django_db
def test_with_crm_9_alone_the_record_is_too_thin():
    dana = UserFactory()
    dana_record(dana)
    from portfolio.models import Initiative

    Initiative.objects.filter(code="BOPS-1").delete()
    new = candidate("NEW-1", sponsor=dana)
    found = sponsor_adjustments({new.pk: dana.pk}, today=TODAY)[new.pk]
    assert (found.initiatives, found.factor, found.thin) == (1, 1.0, True)


@pytest.mark.django_db
def test_the_records_are_read_in_a_fixed_number_of_queries():
    # given Dana's record and one more sponsor with a record, then ten more
    world = example_world()

    def count() -> int:
        pool = {i.pk: i.sponsor_id for i in world.values() if hasattr(i, "sponsor_id")}
        with CaptureQueriesContext(connection) as captured:
            sponsor_adjustments(pool, today=TODAY)
        return len(captured)

    before = count()
    for n in range(10):
        sponsor = dana_record(UserFactory(), suffix=f"-{n}")
        world[f"MORE-{n}"] = candidate(f"MORE-{n}", sponsor=sponsor, like="ALT-3")

    # then: the policy and load_benefits' four queries at most, whatever the number
    assert count() == before <= 5


@pytest.mark.django_db
def test_no_sponsor_no_query():
    with CaptureQueriesContext(connection) as captured:
        assert sponsor_adjustments({1: None, 2: None}, today=TODAY)[1].factor == 1.0
    assert len(captured) == 0


# the ranking --------------------------------------------------------------------------------------------------


def switch_on(pmo, *, on: bool = True) -> ScoringModelVersion:
    current = ranking_services.current_scoring_model()
    return ranking_services.scoring_model_create(
        user=pmo,
        weights={},
        rationale="Board 2026-11: weigh promises by track record",
        based_on=current.number,
        sponsor_adjustment=on,
    )


def ranked(version: ScoringModelVersion | None = None) -> list[tuple[int | None, str, float | None]]:
    result = ranking_services.candidate_ranking(
        ranking_services.CandidateFilters(), version=version, today=TODAY
    )
    return [(item.rank, item.row.code, _round4(item.score)) for item in result.rows]


def _round4(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@pytest.mark.django_db
def test_off_by_default_the_ranking_does_not_move(pmo):
    example_world()
    assert ranking_services.current_scoring_model().sponsor_adjustment is False
    assert ranked() == [(1, "NEW-1", 73.625), (2, "ALT-2", 66.125), (3, "ALT-3", 43.125)]


@pytest.mark.django_db
def test_on_dana_s_candidate_is_discounted_and_alt_2_passes_it(pmo):
    # given the worked example and version 2 with the switch on
    example_world()
    version = switch_on(pmo)

    # when
    result = ranking_services.candidate_ranking(ranking_services.CandidateFilters(), today=TODAY)

    # then: NEW-1's NPV 1,000,000 x 0.76 = 760,000 is normalised between 200,000 and 800,000
    assert (version.number, version.sponsor_adjustment) == (2, True)
    assert [(i.rank, i.row.code, _round4(i.score)) for i in result.rows] == [
        (1, "ALT-2", 73.625),
        (2, "NEW-1", 71.625),
        (3, "ALT-3", 43.125),
    ]
    new = next(i for i in result.rows if i.row.code == "NEW-1")
    assert new.sponsor is not None
    assert (new.npv, new.sponsor.factor, new.adjusted_npv) == (
        Decimal("1000000.00"),
        0.76,
        Decimal("760000.00"),
    )
    npv = next(part for part in new.contributions if part.criterion == "financial_value")
    assert (npv.raw, round(npv.normalised, 6), round(npv.points, 4)) == (760000.0, 0.933333, 28.0)
    alt = next(i for i in result.rows if i.row.code == "ALT-2")
    assert alt.sponsor is not None
    assert (alt.sponsor.factor, alt.adjusted_npv) == (1.0, Decimal("800000.00"))
    # version 1 still ranks as before
    assert ranked(ranking_services.scoring_model(1))[0] == (1, "NEW-1", 73.625)


@pytest.mark.django_db
def test_a_new_version_keeps_the_switch_unless_told(pmo):
    switch_on(pmo)
    current = ranking_services.current_scoring_model()
    kept = ranking_services.scoring_model_create(
        user=pmo, weights={"urgency": "0.2"}, rationale="Urgency up", based_on=current.number
    )
    assert kept.sponsor_adjustment is True
    off = switch_on(pmo, on=False)
    assert (off.number, off.sponsor_adjustment) == (4, False)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_only_the_pmo_switches_it(persona):
    ranking_services.current_scoring_model()
    with pytest.raises(NotAllowed):
        switch_on(persona)
    assert list(ScoringModelVersion.objects.values_list("number", "sponsor_adjustment")) == [(1, False)]


@pytest.mark.django_db
def test_the_sensitivity_works_on_the_discounted_values(pmo):
    example_world()
    off = ranking_services.ranking_sensitivity(ranking_services.CandidateFilters(), tops=(1,), today=TODAY)
    switch_on(pmo)
    on = ranking_services.ranking_sensitivity(ranking_services.CandidateFilters(), tops=(1,), today=TODAY)
    assert (off[0][0].members, on[0][0].members) == (("NEW-1",), ("ALT-2",))
    # off, NEW-1 leads on NPV alone: with its weight at 0 the two are level and ALT-2 leads by its key; on,
    # ALT-2 leads on NPV and no move of the NPV's weight hands the lead back
    npv_off, npv_on = (
        next(c for c in found[0][0].criteria if c.criterion == "financial_value") for found in (off, on)
    )
    assert npv_off.down is not None
    assert (npv_off.down.weight, npv_off.down.entering, npv_off.up) == (0.0, "ALT-2", None)
    assert (npv_on.down, npv_on.up) == (None, None)
    urgency = next(c for c in on[0][0].criteria if c.criterion == "urgency")
    assert urgency.up is not None
    assert (round(urgency.up.weight, 6), urgency.up.entering, urgency.up.leaving) == (
        0.617117,
        "ALT-3",
        "ALT-2",
    )


@pytest.mark.django_db
def test_the_priority_score_follows_the_scoring_model_s_switch(pmo):
    world = example_world()
    ids = [world[code].pk for code in ("NEW-1", "ALT-2", "ALT-3")]
    with time_machine.travel(NOON, tick=False):
        before = ranking_services.priority_scores(ids)
        switch_on(pmo)
        after = ranking_services.priority_scores(ids)
    assert [round(before[pk], 4) for pk in ids] == [73.625, 66.125, 43.125]
    assert [round(after[pk], 4) for pk in ids] == [71.625, 73.625, 43.125]


# scenarios ---------------------------------------------------------------------------------------------------


def scenario_world():
    """Dana's NEW-1 (NPV 1,000,000) and ALT-2 (800,000), each costing 500 in 2027 on its budget (without
    planned dates a budget falls in the scenario's first year)."""
    dana = dana_record()
    costs: dict[str, Any] = {
        "budget_capex": Decimal("500"),
        "budget_opex": Decimal("0"),
        "planned_start": None,
        "planned_end": None,
    }
    return {"NEW-1": candidate("NEW-1", sponsor=dana, **costs), "ALT-2": candidate("ALT-2", **costs)}


def make(pmo, **fields):
    data = {"name": "One of two", "first_year": 2027, "years": 1, "maximise": "npv", "budget": 600, **fields}
    return scenario_services.scenario_create(user=pmo, data=data)


def chosen(scenario) -> tuple[list[str], float | None]:
    inputs = load_inputs(scenario, today=TODAY)
    solution = optimiser.solve(inputs.problem)
    return sorted(inputs.candidates[pk].code for pk in solution.selected), solution.value


@pytest.mark.django_db
def test_a_scenario_maximising_npv_chooses_the_other_candidate_when_on(pmo):
    # given a budget for one of the two
    scenario_world()
    off = make(pmo)
    on = make(pmo, name="Adjusted", sponsor_adjustment=True)

    # then: off, NEW-1 (1,000,000); on, its 760,000 loses to ALT-2's 800,000
    assert off.sponsor_adjustment is False
    assert chosen(off) == (["NEW-1"], 1000000.0)
    assert chosen(on) == (["ALT-2"], 800000.0)
    inputs = load_inputs(on, today=TODAY)
    values = {c.label: c.value for c in inputs.problem.candidates}
    assert values == {"NEW-1": 760000.0, "ALT-2": 800000.0}
    assert inputs.npv[next(pk for pk, c in inputs.candidates.items() if c.code == "NEW-1")] == 1000000.0


@pytest.mark.django_db
def test_the_fingerprint_holds_the_switch(pmo):
    scenario_world()
    scenario = make(pmo)
    before = load_inputs(scenario, today=TODAY).fingerprint
    scenario = scenario_services.scenario_update(
        user=pmo, scenario_id=scenario.pk, version=scenario.version, data={"sponsor_adjustment": True}
    )
    assert load_inputs(scenario, today=TODAY).fingerprint != before
    strategic = make(pmo, name="Fit", maximise="strategic")
    strategic_on = make(pmo, name="Fit on", maximise="strategic", sponsor_adjustment=True)
    assert (
        load_inputs(strategic, today=TODAY).fingerprint != load_inputs(strategic_on, today=TODAY).fingerprint
    )


@pytest.mark.django_db
def test_maximising_strategic_value_the_switch_changes_no_value(pmo):
    scenario_world()
    inputs = load_inputs(make(pmo, maximise="strategic", sponsor_adjustment=True), today=TODAY)
    assert {c.label: c.value for c in inputs.problem.candidates} == {"NEW-1": 70.0, "ALT-2": 70.0}
    assert inputs.adjustments == {}


@pytest.mark.django_db
def test_the_answer_lists_the_adjusted_candidates(pmo):
    # given
    world = scenario_world()
    scenario = make(pmo, sponsor_adjustment=True)

    # when
    with time_machine.travel(NOON, tick=False):
        summary = scenario_services.solve_scenario(scenario)

    # then
    assert summary["value"] == 800000.0
    assert summary["sponsor"] == {
        "on": True,
        "applies": True,
        "count": 1,
        "adjusted": [
            {
                "id": world["NEW-1"].pk,
                "code": "NEW-1",
                "title": "Title of NEW-1",
                "npv": 1000000.0,
                "factor": 0.76,
                "factor_text": "0.76",
                "value": "760000.00",
                "record": "sponsor's past initiatives realised 52% of promised benefits over 2 initiatives",
            }
        ],
    }
    # NPV totals stay the business cases' figures
    assert summary["totals"]["plan"]["npv"] == 800000.0


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_only_the_pmo_switches_a_scenario(persona, pmo):
    scenario = make(pmo)
    with pytest.raises(NotAllowed):
        scenario_services.scenario_update(
            user=persona, scenario_id=scenario.pk, version=scenario.version, data={"sponsor_adjustment": True}
        )
    scenario.refresh_from_db()
    assert (scenario.sponsor_adjustment, scenario.version) == (False, 1)
