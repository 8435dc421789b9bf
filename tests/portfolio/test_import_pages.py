"""The import pages: only the PMO (and admins) reach them, upload -> column matching -> dry run -> confirm
works end to end with jobs run inline, what a file holds is escaped on the page and inert in the problem
report, and malformed requests get a message, never a 500."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ImportMapping, ImportRun, Job
from portfolio.models import Initiative
from tests.conftest import PERSONAS
from tests.export_support import body
from tests.portfolio.import_support import csv_file

SCRIPT = "<script>alert(1)</script>"


def upload(client, content: bytes, name: str = "initiatives.csv", kind: str = "initiatives", **extra):
    return client.post(
        reverse("portfolio:import-start"),
        {"kind": kind, "file": SimpleUploadedFile(name, content), **extra},
    )


def mapping_post(run: ImportRun, **extra) -> dict[str, str]:
    return {f"column_{i}": run.mapping.get(column, "") for i, column in enumerate(run.header)} | extra


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_the_import_pages_are_the_pmos_and_a_refused_upload_changes_nothing(db, client, persona, today):
    client.force_login(persona)
    allowed = persona.username in {"pmo", "admin"}

    page = client.get(reverse("portfolio:import-start"))
    posted = upload(client, csv_file(["code", "title"], ["N-1", "New"]))
    template = client.get(reverse("portfolio:import-template", args=["initiatives", "csv"]))

    assert (page.status_code, template.status_code) == ((200, 200) if allowed else (403, 403))
    assert posted.status_code == (302 if allowed else 403)
    assert ImportRun.objects.count() == (1 if allowed else 0)
    assert not Initiative.objects.exists()


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_other_roles_cannot_see_map_or_confirm_a_pmos_file(db, client, pmo, persona, today):
    client.force_login(pmo)
    upload(client, csv_file(["code", "title"], ["N-1", "New"]))
    run = ImportRun.objects.get()
    client.force_login(persona)

    responses = [
        client.get(reverse("portfolio:import-detail", args=[run.pk])),
        client.post(reverse("portfolio:import-mapping", args=[run.pk]), mapping_post(run)),
        client.post(reverse("portfolio:import-confirm", args=[run.pk]), {"rows": "all"}),
        client.get(reverse("portfolio:import-errors", args=[run.pk])),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    assert not Job.objects.exists()
    assert not Initiative.objects.exists()


def test_upload_match_dry_run_and_confirm_import_the_file(client, pmo, today):
    client.force_login(pmo)
    # given an uploaded file whose columns are named as people name them
    response = upload(client, csv_file(["Code", "Name", "Notes"], ["N-1", "New one"], ["N-2", "New two"]))
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("portfolio:import-mapping", args=[run.pk])
    assert run.mapping == {"Code": "code", "Name": "title", "Notes": ""}

    # when the matching is kept (and saved under a name), the dry run runs and changes nothing
    response = client.post(
        reverse("portfolio:import-mapping", args=[run.pk]), mapping_post(run, save_as="Finance sheet")
    )
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.report["mode"], run.report["created"], run.report["problem_count"]) == ("dry_run", 2, 0)
    assert not Initiative.objects.exists()
    assert ImportMapping.objects.get().mapping == {"Code": "code", "Name": "title", "Notes": ""}
    page = client.get(reverse("portfolio:import-detail", args=[run.pk]))
    assert b"Dry run: nothing has been saved yet" in page.content
    assert b"2 new initiatives would be added" in page.content

    # then confirming imports both rows
    client.post(reverse("portfolio:import-confirm", args=[run.pk]), {"rows": "all"})
    run.refresh_from_db()
    assert (run.report["mode"], run.report["written"], run.imported_at is not None) == ("import", True, True)
    assert sorted(Initiative.objects.values_list("code", "title")) == [("N-1", "New one"), ("N-2", "New two")]


def test_a_pages_import_link_names_its_kind_and_the_mapping_lists_the_required_fields(client, pmo, today):
    client.force_login(pmo)

    chosen = client.get(reverse("portfolio:import-start"), {"kind": "run-demand"})
    unknown = client.get(reverse("portfolio:import-start"), {"kind": "<nonsense>"})
    upload(client, csv_file(["Code", "Name"], ["N-1", "New one"]))
    mapping = client.get(reverse("portfolio:import-mapping", args=[ImportRun.objects.get().pk]))

    assert b'<option value="run-demand" selected>' in chosen.content
    assert unknown.status_code == 200
    assert b"selected>" not in unknown.content.split(b'name="kind"')[1].split(b"</select>")[0]
    assert "Required: <strong>Code</strong>, <strong>Title</strong>." in mapping.content.decode()


def test_a_saved_mapping_is_applied_to_the_next_file(client, pmo, today):
    saved = ImportMapping.objects.create(
        name="Finance", kind="initiatives", mapping={"Ref": "code", "What": "title", "Extra": ""}
    )
    client.force_login(pmo)

    upload(client, csv_file(["Ref", "What"], ["N-1", "x"]), saved_mapping=saved.pk)

    assert ImportRun.objects.get().mapping == {"Ref": "code", "What": "title"}


def test_a_mapping_without_a_required_field_is_refused_and_nothing_runs(client, pmo, today):
    client.force_login(pmo)
    upload(client, csv_file(["code", "title"], ["N-1", "x"]))
    run = ImportRun.objects.get()

    response = client.post(
        reverse("portfolio:import-mapping", args=[run.pk]), {"column_0": "code", "column_1": ""}
    )

    assert response.status_code == 422
    assert "Choose the column that holds “Title” (it is required)." in response.content.decode()
    assert not Job.objects.exists()


def test_the_dry_run_page_escapes_what_the_file_holds_and_the_report_is_inert(client, pmo, today):
    client.force_login(pmo)
    upload(client, csv_file(["code", "title", "stage"], ["N-1", "x", SCRIPT], ["N-2", "y", "=1+2"]))
    run = ImportRun.objects.get()
    client.post(reverse("portfolio:import-mapping", args=[run.pk]), mapping_post(run))

    page = client.get(reverse("portfolio:import-detail", args=[run.pk])).content.decode()
    report = client.get(reverse("portfolio:import-errors", args=[run.pk]))

    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    rows = list(csv.reader(io.StringIO(body(report).decode())))
    assert rows[0] == ["row", "column", "value", "problem"]
    assert [row[:3] for row in rows[1:]] == [["2", "stage", SCRIPT], ["3", "stage", "'=1+2"]]
    assert rows[2][3].startswith("Select a valid choice. =1+2 is not one of the available choices.")


def test_a_hostile_file_is_refused_on_the_upload_page_with_a_message(client, pmo, today):
    client.force_login(pmo)

    response = upload(client, b"not a zip at all", name="list.xlsx")

    assert response.status_code == 422
    assert "This is not an Excel workbook (.xlsx)" in response.content.decode()
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "initiatives"},
        {"kind": "nonsense", "file": SimpleUploadedFile("a.csv", b"code\nA\n")},
        {"kind": "initiatives", "file": SimpleUploadedFile("a.csv", b"")},
        {"kind": "initiatives", "file": SimpleUploadedFile("a.csv", b"\xff\xfe\x00\x00")},
        {"kind": "initiatives", "file": SimpleUploadedFile("a.csv", b'code,title\n"A,unclosed\n')},
        {"kind": "initiatives", "file": SimpleUploadedFile("a.csv", b"a"), "saved_mapping": "x"},
    ],
)
def test_malformed_uploads_get_a_message_and_never_a_500(client, pmo, today, data):
    client.force_login(pmo)

    response = client.post(reverse("portfolio:import-start"), data)

    assert response.status_code in (302, 422)
    assert not Initiative.objects.exists()


def test_malformed_mapping_and_confirm_posts_never_give_a_500(client, pmo, today):
    client.force_login(pmo)
    upload(client, csv_file(["code", "title"], ["N-1", "x"]))
    run = ImportRun.objects.get()

    responses = [
        client.post(reverse("portfolio:import-mapping", args=[run.pk]), {"column_0": "nonsense"}),
        client.post(reverse("portfolio:import-confirm", args=[run.pk]), {"rows": "all"}),  # before a dry run
        client.post(reverse("portfolio:import-confirm", args=[run.pk]), {"rows": "some"}),
        client.get(reverse("portfolio:import-detail", args=[999999])),
        client.get(reverse("portfolio:import-template", args=["nonsense", "csv"])),
    ]

    assert [response.status_code for response in responses] == [422, 302, 302, 404, 404]
    assert not Initiative.objects.exists()


def test_the_templates_hold_the_columns_an_example_and_the_allowed_values(client, pmo):
    client.force_login(pmo)

    workbook = load_workbook(
        io.BytesIO(body(client.get(reverse("portfolio:import-template", args=["initiatives", "xlsx"]))))
    )
    text = body(client.get(reverse("portfolio:import-template", args=["initiatives", "csv"]))).decode()

    sheet, notes = workbook.worksheets
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["code", "title", "description", "program", "category", "stage"]
    assert rows[1][:3] == ["ECOM-12", "Checkout rebuild", "One-page checkout."]
    stage = next(row for row in notes.iter_rows(values_only=True) if row[0] == "stage")
    assert stage[3] == (
        "one of: idea (Idea), proposed (Proposed), approved (Approved), in_delivery (In delivery), "
        "live (Live), closed (Closed), cancelled (Cancelled)"
    )
    lines = text.splitlines()
    assert lines[0].startswith("code,title,description,program,category,stage,")
    assert any(
        line.startswith('"# stage: Stage; required: no; accepts one of: idea (Idea)') for line in lines
    )


def test_a_template_filled_in_imports_its_example_row(client, pmo, today):
    client.force_login(pmo)
    content = body(client.get(reverse("portfolio:import-template", args=["initiatives", "csv"])))

    upload(client, content, name="template.csv")
    run = ImportRun.objects.get()
    client.post(reverse("portfolio:import-mapping", args=[run.pk]), mapping_post(run))
    run.refresh_from_db()

    assert (run.report["rows"], run.report["created"], run.report["problem_count"]) == (1, 1, 0)


def test_the_dry_run_and_the_import_are_tracked_jobs_with_their_outcome(client, pmo, today):
    client.force_login(pmo)
    upload(client, csv_file(["code", "title"], ["N-1", "One"], ["N-2", "Two"]))
    run = ImportRun.objects.get()

    client.post(reverse("portfolio:import-mapping", args=[run.pk]), mapping_post(run))
    client.post(reverse("portfolio:import-confirm", args=[run.pk]), {"rows": "all"})

    jobs = list(
        Job.objects.order_by("pk").values_list("kind", "target", "status", "progress", "message", "result")
    )
    counts = {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "invalid_rows": 0, "problem_count": 0}
    assert jobs == [
        (
            "import",
            f"import:{run.pk}",
            "done",
            100,
            "Dry run: 2 rows checked, 0 problems",
            {**counts, "written": False},
        ),
        (
            "import",
            f"import:{run.pk}",
            "done",
            100,
            "Imported: 2 new, 0 changed",
            {**counts, "written": True},
        ),
    ]
    page = client.get(reverse("portfolio:import-detail", args=[run.pk])).content.decode()
    assert "Imported: 2 new, 0 changed" in page
    assert 'id="job-progress"' in page
    assert ">See what was imported</a>" in page


def test_a_finished_dry_runs_link_says_it_shows_what_the_check_found(client, pmo, today):
    client.force_login(pmo)
    upload(client, csv_file(["code", "title"], ["N-1", "One"]))
    run = ImportRun.objects.get()

    client.post(reverse("portfolio:import-mapping", args=[run.pk]), mapping_post(run))

    page = client.get(reverse("portfolio:import-detail", args=[run.pk])).content.decode()
    assert ">See what it found</a>" in page
    assert "See what was imported" not in page


def test_while_a_check_runs_the_page_shows_its_progress_and_not_what_an_earlier_check_found(
    client, pmo, today
):
    from portfolio.imports import runs

    client.force_login(pmo)
    # given a file checked once (its dry run found two new initiatives)
    upload(client, csv_file(["code", "title"], ["N-1", "One"], ["N-2", "Two"]))
    run = ImportRun.objects.get()
    client.post(reverse("portfolio:import-mapping", args=[run.pk]), mapping_post(run))
    detail = reverse("portfolio:import-detail", args=[run.pk])
    assert 'id="import-confirm"' in client.get(detail).content.decode()

    # when a new check (or the import) of it is running
    job = Job.objects.create(kind=runs.IMPORT, target=runs.run_target(run.pk), status="running", progress=40)
    page = client.get(detail).content.decode()

    # then the page shows its progress, and neither the earlier findings nor the button to import them
    assert 'id="job-progress"' in page
    assert "40%" in page
    assert 'id="import-summary"' not in page
    assert 'id="import-confirm"' not in page

    # and once it is done, its findings are shown again
    job.status = "done"
    job.save()
    page = client.get(detail).content.decode()
    assert 'id="import-summary"' in page
    assert 'id="import-confirm"' in page


def test_the_task_runs_the_import_of_a_kept_file(pmo, today):
    from portfolio import tasks
    from portfolio.imports import runs

    run = runs.import_run_create(
        user=pmo, kind="initiatives", filename="a.csv", content=b"code,title\nT-1,Task\n"
    )
    job = Job.objects.create(kind=runs.IMPORT, target=runs.run_target(run.pk))

    tasks.import_file(job.pk, run.pk, True, False, pmo.pk)

    assert Initiative.objects.get().title == "Task"
    job.refresh_from_db()
    assert (job.status, job.message) == ("done", "Imported: 1 new, 0 changed")


def test_an_upload_declared_over_the_limit_is_refused_before_its_body_is_read(client, pmo, settings):
    settings.BEARING_IMPORT_MAX_BYTES = 1000
    client.force_login(pmo)

    response = client.post(
        reverse("portfolio:import-start"),
        {"kind": "initiatives", "file": SimpleUploadedFile("big.csv", b"code,title\n" + b"A-1,x\n" * 20_000)},
    )

    assert response.status_code == 413
    assert "The file is larger than the limit of 1,000 bytes." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_saved_mapping_of_another_kind_is_refused_on_the_upload(client, pmo, today):
    saved = ImportMapping.objects.create(name="Tree", kind="objectives", mapping={"code": "code"})
    client.force_login(pmo)

    response = upload(client, csv_file(["code", "title"], ["N-1", "x"]), saved_mapping=saved.pk)

    assert response.status_code == 422
    assert "“Tree” maps objectives, not initiatives." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_file_refused_while_its_rows_are_read_says_so_on_its_page_and_nothing_is_saved(
    client, pmo, today, settings
):
    client.force_login(pmo)
    upload(client, csv_file(["code", "title"], ["N-1", "x"], ["N-2", "y"], ["N-3", "z"]))
    run = ImportRun.objects.get()
    settings.BEARING_IMPORT_MAX_ROWS = 2

    client.post(reverse("portfolio:import-mapping", args=[run.pk]), mapping_post(run))

    page = client.get(reverse("portfolio:import-detail", args=[run.pk])).content.decode()
    assert "The file was refused: The file has more than 2 rows, the limit;" in page
    assert 'id="import-confirm"' not in page
    assert not Initiative.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_the_register_and_the_objective_tree_link_the_import_for_the_pmo_only(db, client, persona, today):
    client.force_login(persona)
    allowed = persona.username in {"pmo", "admin"}
    link = f'href="{reverse("portfolio:import-start")}"'

    pages = [
        client.get(reverse("portfolio:initiative-list")),
        client.get(reverse("portfolio:objective-list")),
    ]

    if persona.username == "outsider":
        assert [page.status_code for page in pages] == [403, 403]
    else:
        assert [link in page.content.decode() for page in pages] == [allowed, allowed]
