"""Import a file from the command line, with the same checks as the import page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ApplicationError
from core.models import ImportMapping
from portfolio.imports.engine import import_table
from portfolio.imports.registry import KINDS


class Command(BaseCommand):
    help = (
        "Import records of one kind (--kind) from an .xlsx or .csv file: every row is checked as on the import "
        "page; with any problem nothing is imported, the problems are printed by row and the command exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx or .csv file")
        parser.add_argument("--kind", required=True, choices=sorted(KINDS), help="what the file holds")
        parser.add_argument("--mapping", default="", help="the name of a saved column mapping of this kind")
        parser.add_argument("--dry-run", action="store_true", help="check the file and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        kind = KINDS[options["kind"]]
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path.name}: {error.strerror}") from None
        mapping = None
        if options["mapping"]:
            saved = ImportMapping.objects.filter(kind=kind.slug, name=options["mapping"]).first()
            if saved is None:
                raise CommandError(f"No saved {kind.slug} mapping is named “{options['mapping']}”.")
            mapping = saved.mapping
        try:
            outcome = import_table(kind, content, path.name, mapping, user=None, write=not options["dry_run"])
        except ApplicationError as error:
            raise CommandError(error.message) from None
        for problem in outcome.problems:
            self.stdout.write(
                f"row {problem.row}, {problem.column}: {problem.message} (value: {problem.value!r})"
            )
        if outcome.problem_count > len(outcome.problems):
            self.stdout.write(f"... and {outcome.problem_count - len(outcome.problems):,} more problems")
        self.stdout.write(
            f"{outcome.rows:,} rows: {outcome.created:,} new, {outcome.updated:,} changed, "
            f"{outcome.unchanged:,} unchanged, {outcome.invalid_rows:,} with problems."
        )
        if outcome.problem_count:
            raise CommandError(f"{outcome.problem_count:,} problems: nothing was imported.")
        self.stdout.write("Dry run: nothing was changed." if options["dry_run"] else "Imported.")
