"""Portfolio reads: search parsing, global weights, the register query, the audit trail, milestone states."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from core.stages import Stage
from portfolio import selectors, services
from portfolio.models import Initiative, Milestone, Objective, ObjectiveStatus
from portfolio.sections import MilestoneState, milestone_state
from portfolio.selectors import (
    RegisterFilters,
    global_weights,
    history_entries,
    initiative_register,
    parse_search,
    path_weights,
)
from tests.factories import MilestoneFactory, ObjectiveFactory, ProgramFactory

D = datetime.date

# ------------------------------------------------------------------------------------------------ search


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('checkout "gift card" -pilot', (["checkout", "gift card"], ["pilot"])),
        ("  several   spaced\twords ", (["several", "spaced", "words"], [])),
        ('-"gift card" -pilot', ([], ["gift card", "pilot"])),
        ('"  "', ([], [])),
        ("- -", ([], [])),
        ("", ([], [])),
        ("a b c d e f g h i j", (["a", "b", "c", "d", "e", "f", "g", "h"], [])),
        ("-a -b -c -d -e -f -g -h -i", ([], ["a", "b", "c", "d", "e", "f", "g", "h"])),
        ('ECOM-12 "Q4 campaign"', (["ECOM-12", "Q4 campaign"], [])),
    ],
)
def test_parse_search(text, expected):
    # when / then
    assert parse_search(text) == expected


def test_parse_search_treats_none_as_empty():
    # when / then
    assert parse_search(None) == ([], [])  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ weights


def node(pk: int, parent: int | None, weight: str, status: str = ObjectiveStatus.ACTIVE) -> Any:
    return SimpleNamespace(pk=pk, parent_id=parent, local_weight=Decimal(weight), status=status)


def test_a_single_theme_carries_all_the_weight():
    # when / then
    assert global_weights([node(1, None, "7")]) == {1: 1.0}


def test_no_objectives_no_weights():
    # when / then
    assert global_weights([]) == {}


def test_siblings_share_their_parents_weight_in_proportion_to_their_local_weights():
    # given
    rows = [node(1, None, "1"), node(2, None, "3")]

    # when / then
    assert global_weights(rows) == {1: 0.25, 2: 0.75}


def test_three_level_tree_multiplies_normalised_weights_along_the_path():
    # given: themes 1 : 3; under theme 2 objectives 1 : 1; under objective 4 sub-objectives 3 : 1
    rows = [
        node(1, None, "1"),
        node(2, None, "3"),
        node(3, 2, "2"),
        node(4, 2, "2"),
        node(5, 4, "3"),
        node(6, 4, "1"),
        node(7, 1, "5"),
    ]

    # when
    weights = global_weights(rows)

    # then: by hand, 2 = 3/4, 3 = 4 = 3/4 * 1/2, 5 = 3/8 * 3/4, 6 = 3/8 * 1/4, 7 = 1/4 * 1
    assert weights == {1: 0.25, 2: 0.75, 3: 0.375, 4: 0.375, 5: 0.28125, 6: 0.09375, 7: 0.25}


def test_retired_objectives_weigh_nothing_and_pass_nothing_down():
    # given: a retired theme (weight 4) beside an active one (weight 1), each with children
    rows = [
        node(1, None, "1"),
        node(2, None, "4", ObjectiveStatus.RETIRED),
        node(3, 1, "1"),
        node(4, 1, "3", ObjectiveStatus.RETIRED),
        node(5, 2, "1"),
        node(6, 5, "1"),
    ]

    # when
    weights = global_weights(rows)

    # then: the active theme takes all the weight, its active child all of that
    assert weights == {1: 1.0, 2: 0.0, 3: 1.0, 4: 0.0, 5: 0.0, 6: 0.0}


def test_when_every_sibling_is_retired_they_all_weigh_nothing():
    # given
    rows = [node(1, None, "1", ObjectiveStatus.RETIRED), node(2, None, "2", ObjectiveStatus.RETIRED)]

    # when / then
    assert global_weights(rows) == {1: 0.0, 2: 0.0}


@pytest.mark.django_db
def test_global_weights_accepts_objectives_from_the_database():
    # given
    theme = ObjectiveFactory(local_weight=Decimal("2"))
    other = ObjectiveFactory(local_weight=Decimal("6"))
    child = ObjectiveFactory(parent=theme, local_weight=Decimal("0.5"))

    # when
    weights = global_weights(Objective.objects.all())

    # then
    assert weights == {theme.pk: 0.25, other.pk: 0.75, child.pk: 0.25}


@pytest.mark.django_db
def test_objective_tree_nests_nodes_with_depth_share_and_weight(theme, objective):
    # given
    other = ObjectiveFactory(code="T2", title="Run", local_weight=Decimal("3"))
    sub = ObjectiveFactory(code="O1.1", title="Mobile", parent=objective)

    # when
    tree = selectors.objective_tree().nodes

    # then
    shape = [
        (
            n.objective.code,
            n.depth,
            n.local_share,
            n.global_weight,
            [(c.objective.code, c.global_weight) for c in n.children],
        )
        for n in tree
    ]
    assert shape == [("T1", 1, 0.25, 0.25, [("O1", 0.25)]), ("T2", 1, 0.75, 0.75, [])]
    assert [c.objective.code for c in tree[0].children[0].children] == [sub.code]
    assert other.pk == tree[1].objective.pk


# ------------------------------------------------------------------------------------------------ register


def _codes(**filters: Any) -> list[str]:
    return list(initiative_register(RegisterFilters(**filters)).values_list("code", flat=True))


@pytest.mark.django_db
def test_register_selector_filters(register):
    # when / then
    assert _codes() == ["ECOM-1", "ECOM-2", "FIN-1", "HR-1", "OPS-1", "SEC-1"]
    assert _codes(q='gift -"checkout"') == ["ECOM-2"]
    assert _codes(stage=Stage.LIVE) == ["HR-1"]
    assert _codes(category="transform") == ["FIN-1", "OPS-1"]
    assert _codes(program=register["commerce"].pk) == ["ECOM-1", "ECOM-2"]
    assert _codes(sponsor=register["baker"].pk) == ["ECOM-1", "SEC-1"]
    assert _codes(objective=register["conversion"].pk) == ["ECOM-1", "ECOM-2"]
    assert _codes(objective=register["conversion"].pk, q="-checkout") == ["ECOM-2"]
    assert _codes(sort="-budget", category="run") == ["HR-1", "SEC-1"]


@pytest.mark.django_db
def test_register_selector_annotates_the_total_budget(register):
    # when
    rows = {row.code: row.total_budget for row in initiative_register(RegisterFilters())}

    # then
    assert rows == {
        "ECOM-1": Decimal("120000"),
        "ECOM-2": Decimal("30000"),
        "FIN-1": Decimal("550000"),
        "HR-1": Decimal("80000"),
        "OPS-1": Decimal("0"),
        "SEC-1": Decimal("50000"),
    }


@pytest.mark.django_db
def test_register_selector_falls_back_to_code_for_an_unknown_sort(register):
    # when / then
    assert _codes(sort="nonsense") == ["ECOM-1", "ECOM-2", "FIN-1", "HR-1", "OPS-1", "SEC-1"]


@pytest.mark.django_db
def test_register_selector_matches_the_program_name(register):
    # when / then
    assert _codes(q="commerce") == ["ECOM-1", "ECOM-2"]


@pytest.mark.django_db
def test_sponsors_lists_only_people_who_sponsor_something(register, executive):
    # when
    names = [user.username for user in selectors.sponsors()]

    # then
    assert names == ["adams", "baker", "cole"]


# ------------------------------------------------------------------------------------------------ history

AT = [datetime.datetime(2026, 3, day, 9, 0, tzinfo=datetime.UTC) for day in range(1, 10)]


def _stamp(history: Any, *times: datetime.datetime) -> None:
    """Give the audit-trail rows of a model fixed times, in the order they were written."""
    for row, when in zip(history.order_by("history_id"), times, strict=True):
        type(row).objects.filter(pk=row.pk).update(history_date=when)


def _flat(entries: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (e.when, e.who, e.action, e.subject, [(c.field, c.old, c.new) for c in e.changes]) for e in entries
    ]


@pytest.mark.django_db
def test_initiative_history_tells_who_changed_what_from_what_to_what_newest_first(
    pmo, manager, executive, admin_user
):
    # given
    program = ProgramFactory(name="Digital commerce")
    initiative = services.initiative_create(
        user=pmo,
        data={
            "code": "ECOM-9",
            "title": "Checkout",
            "sponsor": executive,
            "manager": manager,
            "stage": Stage.IN_DELIVERY,
            "planned_start": D(2026, 1, 1),
            "planned_end": D(2026, 12, 31),
            "budget_capex": Decimal("100000"),
        },
    )
    services.initiative_update(
        user=pmo,
        initiative_id=initiative.pk,
        version=1,
        data={
            "title": "Checkout rebuild",
            "sponsor": admin_user,
            "program": program,
            "stage": Stage.APPROVED,
            "budget_capex": Decimal("125000.50"),
        },
    )
    services.initiative_update(
        user=manager, initiative_id=initiative.pk, version=2, data={"title": "Checkout rebuild"}
    )
    milestone = services.milestone_create(
        user=manager, initiative=initiative, data={"name": "Pilot", "baseline_date": D(2026, 6, 30)}
    )
    services.milestone_update(
        user=manager, milestone_id=milestone.pk, version=1, data={"forecast_date": D(2026, 7, 15)}
    )
    services.milestone_delete(user=pmo, milestone_id=milestone.pk, version=2)
    _stamp(Initiative.history.filter(id=initiative.pk), AT[0], AT[1], AT[2])
    _stamp(Milestone.history.filter(id=milestone.pk), AT[3], AT[4], AT[5])

    # when
    entries = selectors.initiative_history(Initiative.objects.get(pk=initiative.pk))

    # then: the no-op save by the manager leaves no entry
    stamped = Milestone.history.filter(id=milestone.pk, history_type="-").get().forecast_updated_at
    assert _flat(entries) == [
        (AT[5], "Pat Office", "deleted", "Milestone “Pilot”", []),
        (
            AT[4],
            "Mo Manager",
            "changed",
            "Milestone “Pilot”",
            [
                ("forecast date", "—", "2026-07-15"),
                ("forecast updated at", "—", stamped.strftime("%Y-%m-%d %H:%M")),
            ],
        ),
        (AT[3], "Mo Manager", "created", "Milestone “Pilot”", []),
        (
            AT[1],
            "Pat Office",
            "changed",
            "Initiative “Checkout rebuild”",
            [
                ("title", "Checkout", "Checkout rebuild"),
                ("sponsor", "Erin Executive", "Ada Admin"),
                ("program", "—", "Digital commerce"),
                ("stage", "In delivery", "Approved"),
                ("budget (capex)", "€100,000", "€125,000"),
            ],
        ),
        (AT[0], "Pat Office", "created", "Initiative “Checkout”", []),
    ]


@pytest.mark.django_db
def test_history_compares_each_record_with_its_own_previous_version(initiative, pmo):
    # given: two milestones edited in turn
    first = MilestoneFactory(initiative=initiative, name="Design")
    second = MilestoneFactory(initiative=initiative, name="Build")
    services.milestone_update(user=pmo, milestone_id=first.pk, version=1, data={"name": "Design done"})
    services.milestone_update(user=pmo, milestone_id=second.pk, version=1, data={"name": "Build done"})
    history = Milestone.history.all()
    for row, when in zip(history.order_by("history_id"), [AT[0], AT[1], AT[2], AT[3]], strict=True):
        type(row).objects.filter(pk=row.pk).update(history_date=when)

    # when
    entries = history_entries([Milestone.history.all()])

    # then
    assert _flat(entries) == [
        (AT[3], "Pat Office", "changed", "Milestone “Build done”", [("name", "Build", "Build done")]),
        (AT[2], "Pat Office", "changed", "Milestone “Design done”", [("name", "Design", "Design done")]),
        (AT[1], "system", "created", "Milestone “Build”", []),
        (AT[0], "system", "created", "Milestone “Design”", []),
    ]


@pytest.mark.django_db
def test_history_never_compares_one_record_with_another(initiative, pmo):
    # given: two milestones whose creation predates the audit trail (their first entries are changes)
    first = MilestoneFactory(initiative=initiative, name="Design")
    second = MilestoneFactory(initiative=initiative, name="Build", baseline_date=D(2026, 9, 30))
    Milestone.history.filter(history_type="+").delete()
    services.milestone_update(user=pmo, milestone_id=first.pk, version=1, data={"name": "Design done"})
    services.milestone_update(user=pmo, milestone_id=second.pk, version=1, data={"name": "Build done"})
    _stamp(Milestone.history.all(), AT[0], AT[1])

    # when
    entries = history_entries([Milestone.history.all()])

    # then: nothing to compare with, so no field changes are claimed
    assert _flat(entries) == [
        (AT[1], "Pat Office", "changed", "Milestone “Build done”", []),
        (AT[0], "Pat Office", "changed", "Milestone “Design done”", []),
    ]


@pytest.mark.django_db
def test_history_names_a_related_record_that_no_longer_exists_by_its_id(initiative, pmo):
    # given: the initiative moves from "Digital commerce" to a program that is deleted later
    doomed = ProgramFactory(name="Doomed")
    services.initiative_update(user=pmo, initiative_id=initiative.pk, version=1, data={"program": doomed})
    _stamp(Initiative.history.filter(id=initiative.pk), AT[0], AT[1])
    gone = doomed.pk
    doomed.delete()

    # when
    entries = history_entries([Initiative.history.filter(id=initiative.pk)])

    # then
    assert _flat(entries) == [
        (
            AT[1],
            "Pat Office",
            "changed",
            "Initiative “Checkout rebuild”",
            [("program", "Digital commerce", f"#{gone} (deleted)")],
        ),
        (AT[0], "system", "created", "Initiative “Checkout rebuild”", []),
    ]


@pytest.mark.django_db
def test_history_limit_keeps_the_newest_entries(initiative, pmo):
    # given
    services.initiative_update(user=pmo, initiative_id=initiative.pk, version=1, data={"title": "Second"})
    services.initiative_update(user=pmo, initiative_id=initiative.pk, version=2, data={"title": "Third"})
    _stamp(Initiative.history.filter(id=initiative.pk), AT[0], AT[1], AT[2])

    # when
    entries = history_entries([Initiative.history.filter(id=initiative.pk)], limit=2)

    # then
    assert [(e.when, e.subject) for e in entries] == [
        (AT[2], "Initiative “Third”"),
        (AT[1], "Initiative “Second”"),
    ]


@pytest.mark.django_db
def test_history_names_a_contribution_by_its_objective(initiative, objective, pmo):
    # when
    services.contribution_create(
        user=pmo,
        initiative=initiative,
        data={"objective": objective, "rationale": "Because it shortens the checkout."},
    )

    # then
    latest = selectors.initiative_history(initiative, limit=1)
    assert _flat(latest)[0][1:] == (
        "Pat Office",
        "created",
        "Contribution to “O1 Raise online conversion”",
        [],
    )


@pytest.mark.django_db
def test_history_shortens_long_text_values(initiative, pmo):
    # given
    services.initiative_update(
        user=pmo, initiative_id=initiative.pk, version=1, data={"description": "x" * 400}
    )

    # when
    change = selectors.initiative_history(initiative, limit=1)[0].changes[0]

    # then
    assert (change.field, change.old, change.new) == ("description", "A test initiative.", "x" * 297 + "…")


# ------------------------------------------------------------------------------------------------ milestones

TODAY = D(2026, 11, 21)


@pytest.mark.parametrize(
    ("baseline", "forecast", "actual", "expected"),
    [
        (D(2026, 10, 1), None, D(2026, 10, 1), MilestoneState("Done on time", "success", 0)),
        (D(2026, 10, 1), None, D(2026, 9, 28), MilestoneState("Done on time", "success", -3)),
        (D(2026, 10, 1), D(2026, 12, 1), D(2026, 10, 6), MilestoneState("Done 5 days late", "warning", 5)),
        (D(2026, 12, 1), None, None, MilestoneState("On plan", "secondary", 0)),
        (D(2026, 12, 1), D(2026, 11, 26), None, MilestoneState("On plan", "secondary", -5)),
        (D(2026, 12, 1), D(2026, 12, 11), None, MilestoneState("Slipping 10 days", "warning", 10)),
        (D(2026, 11, 1), None, None, MilestoneState("Overdue since 2026-11-01", "danger", 20)),
        (D(2026, 11, 1), D(2026, 11, 11), None, MilestoneState("Overdue since 2026-11-11", "danger", 20)),
        (D(2026, 11, 1), D(2026, 11, 21), None, MilestoneState("Slipping 20 days", "warning", 20)),
        (D(2026, 11, 21), None, None, MilestoneState("On plan", "secondary", 0)),
    ],
    ids=[
        "done on the day",
        "done early",
        "done late",
        "ahead with no forecast",
        "forecast early",
        "forecast late",
        "baseline passed",
        "forecast passed",
        "forecast today",
        "baseline today",
    ],
)
def test_milestone_state(baseline, forecast, actual, expected):
    # given
    milestone = Milestone(name="M", baseline_date=baseline, forecast_date=forecast, actual_date=actual)

    # when / then
    assert milestone_state(milestone, TODAY) == expected


@pytest.mark.django_db
def test_path_weights_read_only_the_paths_and_weigh_as_the_whole_tree(django_assert_num_queries):
    # given: a random tree of 3 themes, 9 objectives and 18 sub-objectives, some retired
    rng = random.Random(3)

    def add(code: str, parent: Any = None) -> Any:
        status = "retired" if parent is not None and rng.random() < 0.2 else "active"
        return ObjectiveFactory(
            code=code, parent=parent, local_weight=Decimal(rng.randint(1, 40)), status=status
        )

    themes = [add(f"T{t}") for t in range(3)]
    middle = [add(f"O{o}", themes[o % 3]) for o in range(9)]
    leaves = [add(f"S{s}", middle[s % 9]) for s in range(18)]
    whole = global_weights(Objective.objects.all())

    # when: the weights of one sub-objective, and of one objective of each level together
    with django_assert_num_queries(1):
        one = path_weights([leaves[4].pk])
    some = path_weights([themes[1].pk, middle[2].pk, leaves[7].pk])

    # then: the same weights, from the 3 themes, the 3 objectives of its theme and the 2 sub-objectives of its
    # objective only
    assert one[leaves[4].pk] == whole[leaves[4].pk]
    assert len(one) == 3 + 3 + 2
    assert {pk: some[pk] for pk in (themes[1].pk, middle[2].pk, leaves[7].pk)} == {
        pk: whole[pk] for pk in (themes[1].pk, middle[2].pk, leaves[7].pk)
    }
    assert all(whole[pk] == weight for pk, weight in some.items())
