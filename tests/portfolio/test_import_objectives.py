"""Importing objectives: the tree is built from parent codes (a parent may come later in the file or exist
already), the tree's rules are the form's and the model's, and a second import changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse

from portfolio.models import Objective
from tests.export_support import body
from tests.factories import ObjectiveFactory
from tests.portfolio.import_support import csv_file, problems, run_import

D = datetime.date
HEADER = ["code", "parent", "title", "owner", "horizon_start", "horizon_end", "status", "local_weight"]


def test_a_tree_is_built_from_parent_codes_whatever_the_order_of_the_rows(pmo, manager):
    # given a file listing a sub-objective before its objective, and that objective before its theme
    content = csv_file(
        HEADER,
        ["O1.1", "O1", "Faster checkout", "", "", "", "active", "2"],
        ["O1", "T1", "Raise conversion", "manager", "01/01/2026", "31.12.2027", "active", "1"],
        ["T1", "", "Grow digital sales", "", "", "", "", ""],
    )

    # when it is imported
    outcome = run_import("objectives", content, pmo, filename="tree.csv")

    # then the tree stands as the file says
    assert (outcome.created, outcome.problem_count) == (3, 0)
    tree = {o.code: (o.parent.code if o.parent else None, o.title) for o in Objective.objects.all()}
    assert tree == {
        "T1": (None, "Grow digital sales"),
        "O1": ("T1", "Raise conversion"),
        "O1.1": ("O1", "Faster checkout"),
    }
    middle = Objective.objects.get(code="O1")
    assert (middle.owner, middle.horizon_start, middle.horizon_end) == (
        manager,
        D(2026, 1, 1),
        D(2027, 12, 31),
    )
    assert Objective.objects.get(code="O1.1").local_weight == Decimal("2.00")
    assert Objective.objects.get(code="T1").status == "active"


def test_a_parent_that_exists_already_is_found_by_its_code(pmo):
    ObjectiveFactory(code="T9", title="Existing theme")

    outcome = run_import("objectives", csv_file(["code", "parent", "title"], ["O9", "T9", "Under it"]), pmo)

    assert outcome.created == 1
    assert Objective.objects.filter(code="O9", parent__code="T9").exists()


def test_an_unknown_parent_and_a_fourth_level_are_refused_at_their_rows(pmo):
    content = csv_file(
        ["code", "parent", "title"],
        ["T1", "", "Theme"],
        ["O1", "T1", "Objective"],
        ["S1", "O1", "Sub-objective"],
        ["X1", "S1", "Too deep"],
        ["Y1", "NOPE", "Orphan"],
    )

    outcome = run_import("objectives", content, pmo)

    assert problems(outcome) == [
        [5, "parent", "S1", "The tree is three levels deep at most: theme, objective, sub-objective."],
        [6, "parent", "NOPE", "No objective has the code “NOPE”, here or in a valid row of the file."],
    ]
    assert not Objective.objects.exists()


def test_an_export_of_the_tree_imports_back_with_no_change_and_no_history(client, pmo, manager):
    theme = ObjectiveFactory(code="T1", title="Theme", owner=manager)
    ObjectiveFactory(code="O1", title="Objective", parent=theme, local_weight=Decimal("2.5"))
    client.force_login(pmo)
    content = body(client.get(reverse("portfolio:objective-export", args=["xlsx"])))
    history = Objective.history.count()

    outcome = run_import("objectives", content, pmo, filename="bearing-objectives.xlsx")

    assert (outcome.unchanged, outcome.created, outcome.updated, outcome.problem_count) == (2, 0, 0, 0)
    assert Objective.history.count() == history


def test_two_rows_giving_siblings_the_same_title_are_refused_at_the_second(pmo):
    content = csv_file(
        ["code", "parent", "title"],
        ["T1", "", "Theme"],
        ["T2", "", "Theme"],
        ["O1", "T1", "Same"],
        ["O2", "T1", "Same"],
    )

    outcome = run_import("objectives", content, pmo)

    assert problems(outcome) == [
        [3, "title", "Theme", "Row 2 has the same title; each may appear once."],
        [5, "title", "Same", "Row 4 has the same parent + title; each may appear once."],
    ]
    assert not Objective.objects.exists()


def test_a_title_already_used_by_a_sibling_is_refused_as_on_the_form(pmo):
    theme = ObjectiveFactory(code="T1", title="Theme")
    ObjectiveFactory(code="O1", title="Taken", parent=theme)

    outcome = run_import("objectives", csv_file(["code", "parent", "title"], ["O2", "T1", "Taken"]), pmo)

    assert problems(outcome) == [
        [2, "title", "Taken", "Objective with this Parent and Title already exists."]
    ]
