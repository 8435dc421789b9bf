"""manage.py import_data: the same checks as the page, problems printed by row, a non-zero exit on errors."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import ImportMapping
from portfolio.models import Initiative
from tests.portfolio.import_support import csv_file


def write(tmp_path, *rows, name="initiatives.csv"):
    path = tmp_path / name
    path.write_bytes(csv_file(*rows))
    return str(path)


def test_a_valid_file_is_imported_with_the_file_named_in_the_history(db, tmp_path, capsys):
    path = write(tmp_path, ["code", "title"], ["C-1", "From the shell"])

    call_command("import_data", path, "--kind", "initiatives")

    assert capsys.readouterr().out.splitlines() == [
        "1 rows: 1 new, 0 changed, 0 unchanged, 0 with problems.",
        "Imported.",
    ]
    assert list(Initiative.history.values_list("code", "history_change_reason")) == [
        ("C-1", "Imported from initiatives.csv")
    ]


def test_a_dry_run_changes_nothing(db, tmp_path, capsys):
    path = write(tmp_path, ["code", "title"], ["C-1", "From the shell"])

    call_command("import_data", path, "--kind", "initiatives", "--dry-run")

    assert capsys.readouterr().out.splitlines()[-1] == "Dry run: nothing was changed."
    assert not Initiative.objects.exists()


def test_problems_are_printed_by_row_and_the_command_fails_with_nothing_imported(db, tmp_path, capsys):
    path = write(tmp_path, ["code", "title", "stage"], ["C-1", "Fine", "idea"], ["C-2", "Bad", "someday"])

    with pytest.raises(CommandError, match="1 problems: nothing was imported"):
        call_command("import_data", path, "--kind", "initiatives")

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        "row 3, stage: Select a valid choice. someday is not one of the available choices."
    )
    assert out[0].endswith("(value: 'someday')")
    assert not Initiative.objects.exists()


def test_a_saved_mapping_is_used_by_name(db, tmp_path):
    ImportMapping.objects.create(name="Finance", kind="initiatives", mapping={"Ref": "code", "What": "title"})
    path = write(tmp_path, ["Ref", "What"], ["C-1", "Mapped"])

    call_command("import_data", path, "--kind", "initiatives", "--mapping", "Finance")

    assert Initiative.objects.get().title == "Mapped"


def test_an_unknown_mapping_and_a_hostile_file_are_refused(db, tmp_path):
    path = write(tmp_path, ["code", "title"], ["C-1", "x"])
    bomb = tmp_path / "fake.xlsx"
    bomb.write_bytes(b"not a zip")

    with pytest.raises(CommandError, match="No saved initiatives mapping is named “Nope”"):
        call_command("import_data", path, "--kind", "initiatives", "--mapping", "Nope")
    with pytest.raises(CommandError, match="not an Excel workbook"):
        call_command("import_data", str(bomb), "--kind", "initiatives")
