"""An import as people run it from the page: upload, map the columns, dry run, confirm; the dry run and the
import are tracked jobs (core.jobs) reading the file as uploaded (core.models.ImportRun)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from core import jobs, sheets
from core.errors import ApplicationError, NotAllowed
from core.jobs import Progress, run_job
from core.models import ImportMapping, ImportRun, Job
from core.roles import can_edit_portfolio
from portfolio.imports.engine import import_table, mapping_problems, suggest_mapping
from portfolio.imports.registry import KINDS


def _detail_link(job: Job) -> jobs.DoneLink | None:
    _, _, run_id = job.target.partition(":")
    if not run_id.isdigit():
        return None
    label = "See what was imported" if job.result.get("written") else "See what it found"
    return jobs.DoneLink(reverse("portfolio:import-detail", args=[int(run_id)]), label)


IMPORT = jobs.register_kind("import", "Import", done_link=_detail_link)


def run_target(run_id: int) -> str:
    return f"import:{run_id}"


def _require_pmo(user: Any) -> None:
    if not can_edit_portfolio(user):
        raise NotAllowed("Only the PMO imports data.")


def import_run_create(*, user: Any, kind: str, filename: str, content: bytes) -> ImportRun:
    """Keep an uploaded file for its dry run and import, once its header can be read (core.sheets: size,
    kind and contents checked); the columns are mapped automatically to start with."""
    _require_pmo(user)
    if kind not in KINDS:
        raise ApplicationError("Choose what the file holds.", field_errors={"kind": ["Choose a kind."]})
    table = sheets.read_table(content, filename)
    return ImportRun.objects.create(
        kind=kind,
        filename=filename[:200],
        content=content,
        size=len(content),
        header=table.header,
        mapping=suggest_mapping(KINDS[kind], table.header),
        created_by=user,
    )


def import_mapping_set(*, user: Any, run: ImportRun, mapping: dict[str, str], save_as: str = "") -> None:
    """Choose the run's column mapping (refused when a required field has no column or a field has two),
    and keep it under a name for the next file of this kind when `save_as` names it."""
    _require_pmo(user)
    problems = mapping_problems(KINDS[run.kind], mapping)
    if problems:
        raise ApplicationError(" ".join(problems))
    run.mapping = mapping
    run.report = {}
    run.save(update_fields=["mapping", "report"])
    if save_as:
        ImportMapping.objects.update_or_create(
            kind=run.kind, name=save_as, defaults={"mapping": mapping, "created_by": user}
        )


def run_import(
    *,
    run_id: int,
    write: bool,
    only_valid: bool = False,
    user_id: int | None = None,
    job_id: int | None = None,
) -> dict[str, Any] | None:
    """Check (and when `write`, import) a kept file: its report (counts, problems by row) is stored on it."""

    def work(progress: Progress | None) -> dict[str, Any]:
        run = ImportRun.objects.get(pk=run_id)
        user = run.created_by if user_id is None else get_user_model().objects.get(pk=user_id)
        try:
            outcome = import_table(
                KINDS[run.kind],
                bytes(run.content),
                run.filename,
                run.mapping,
                user=user,
                write=write,
                only_valid=only_valid,
                progress=progress,
            )
            report = {**outcome.as_dict(), "mode": "import" if write else "dry_run"}
        except ApplicationError as error:
            report = {"refused": error.message, "mode": "import" if write else "dry_run", "written": False}
        fields = ["report"]
        run.report = report
        if report.get("written"):
            run.imported_at = timezone.now()
            fields.append("imported_at")
        run.save(update_fields=fields)
        return report

    def done(report: dict[str, Any]) -> str:
        if "refused" in report:
            return "The file was refused: nothing was imported"
        if report["mode"] == "dry_run":
            return f"Dry run: {report['rows']:,} rows checked, {report['problem_count']:,} problems"
        if report["written"]:
            return f"Imported: {report['created']:,} new, {report['updated']:,} changed"
        return "Not imported: the file has problems"

    # the counts, and whether anything was written (the link to the run's page says which it shows)
    return run_job(
        job_id, work, done, lambda report: {k: v for k, v in report.items() if type(v) in (int, bool)}
    )


def enqueue_import(run: ImportRun, *, user: Any, write: bool, only_valid: bool = False) -> Job:
    """Start (or join) the dry run or import of a kept file and return its Job row."""
    _require_pmo(user)
    from portfolio import tasks

    return jobs.start(
        IMPORT,
        user=user,
        task=tasks.import_file,
        run=run_import,
        target=run_target(run.pk),
        run_id=run.pk,
        write=write,
        only_valid=only_valid,
        user_id=getattr(user, "pk", None),
    )
