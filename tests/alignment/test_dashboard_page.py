"""The dashboard page and its htmx fragment, CSV downloads, the redraw and its permission, stale marking, and
query counts that do not grow with the portfolio."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from alignment import selectors, services
from alignment.models import (
    ALL_SCOPE,
    StoredDashboard,
    program_scope,
)
from alignment.services import dashboards
from alignment.tasks import DASHBOARDS
from core import roles
from core.models import Job
from portfolio.models import Initiative
from tests.alignment.dashboard_support import (
    DASHBOARD,
    as_csv,
    chart,
    count_queries,
    grow,
    index,
    live_payload,
    payload_tiles,
    read_csv,
    stored_payload,
    today,
)
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------ the page


def test_the_dashboard_page_and_its_htmx_fragment(small, exec_client):
    # without htmx: the whole page with the filters
    page = exec_client.get(DASHBOARD)
    assert page.status_code == 200
    assert "HX-Request" in page["Vary"]
    html = page.content.decode()
    assert "<html" in html
    assert 'id="dashboard-filters"' in html
    assert 'id="tiles"' in html
    assert html.count("data-chart=") == 7

    # with htmx: only the body the filter form swaps
    fragment = exec_client.get(DASHBOARD, {"tier": "1"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Request" in fragment["Vary"]
    body = fragment.content.decode()
    assert "<html" not in body
    assert 'id="dashboard-filters"' not in body
    assert 'id="tiles"' in body
    assert body.count("data-chart=") == 7
    assert "Computed for these filters from the scores of" in body


# data rows of each chart's CSV: (whole portfolio, category grow). The heat map has a row per contribution
# (E-1's "none" to O2 included); grow keeps A-1 and D-1. KPIs: the expected line's two points, three readings,
# the forecast and the target. The history: three scored days. The mix under a category filter still has its
# three categories (the other filters' mix).
CSV_ROWS = {
    "heatmap": (6, 2),
    "bubble": (4, 1),
    "investment": (4, 4),
    "mix": (3, 3),
    "kpis": (7, 7),
    "history": (3, 3),
    "risks": (25, 25),
}


def test_the_csv_is_exactly_the_charts_table(small, exec_client):
    # given the stored dashboard and a filtered one
    for query, payload in [
        ({}, stored_payload(ALL_SCOPE)),
        ({"category": "grow"}, live_payload(category="grow")),
    ]:
        for key in ["heatmap", "bubble", "investment", "mix", "kpis", "history", "risks"]:
            # when
            response = exec_client.get(reverse("alignment:dashboard-csv", args=[key]), query)

            # then
            assert response.status_code == 200
            assert response["Content-Disposition"] == f'attachment; filename="bearing-{key}.csv"'
            rows = read_csv(response)
            assert rows == as_csv(chart(payload, key)["table"]), (query, key)
            assert len(rows) == 1 + CSV_ROWS[key][bool(query)], (query, key)


def test_the_csv_of_an_unknown_chart_is_404_and_bad_filters_400(small, exec_client):
    assert exec_client.get(reverse("alignment:dashboard-csv", args=["pie"])).status_code == 404
    response = exec_client.get(reverse("alignment:dashboard-csv", args=["mix"]), {"tier": "7"})
    assert response.status_code == 400
    assert response.content.decode().startswith("Invalid filters: tier: Select a valid choice.")


def test_objective_and_kpi_csv_equal_their_charts_tables(small, exec_client):
    objective, kpi = small["objectives"]["O1"], small["kpi"]
    chart_of_objective = selectors.objective_kpi_chart(objective)
    assert chart_of_objective is not None
    response = exec_client.get(reverse("alignment:objective-kpis-csv", args=[objective.pk]))
    assert read_csv(response) == as_csv(chart_of_objective["table"])
    kpi_table = selectors.kpi_scorecard(kpi)["kpi_chart"]["table"]
    rows = read_csv(exec_client.get(reverse("alignment:kpi-chart-csv", args=[kpi.pk])))
    assert rows == as_csv(kpi_table)
    assert [r[5] for r in rows[1:]].count("Reading") == 3


# ------------------------------------------------------------------------------------------ redraw


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_only_the_pmo_and_admins_may_redraw_the_dashboards(small, client, persona):
    # given
    client.force_login(persona)
    before = StoredDashboard.objects.get(scope=ALL_SCOPE).computed_at

    # when
    response = client.post(reverse("alignment:dashboard-refresh"), headers={"HX-Request": "true"})

    # then refused, and nothing started or redrawn
    assert response.status_code == 403
    assert Job.objects.count() == 0
    assert StoredDashboard.objects.get(scope=ALL_SCOPE).computed_at == before


@pytest.mark.parametrize("persona", ["pmo", "admin_user"], indirect=True)
def test_the_pmo_and_admins_redraw_the_dashboards_and_see_the_progress(small, client, persona):
    client.force_login(persona)
    before = StoredDashboard.objects.get(scope=ALL_SCOPE).computed_at

    response = client.post(reverse("alignment:dashboard-refresh"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    job = Job.objects.get()
    assert (job.kind, job.status, job.progress, job.requested_by) == (
        DASHBOARDS,
        "done",
        100,
        persona,
    )
    html = response.content.decode()
    assert 'id="job-progress"' in html
    assert 'role="progressbar"' in html
    assert "Redrew 3 dashboards" in html
    assert "Reload to see the new figures" in html
    assert StoredDashboard.objects.get(scope=ALL_SCOPE).computed_at > before
    # and without htmx, back to the dashboard
    plain = client.post(reverse("alignment:dashboard-refresh"))
    assert (plain.status_code, plain["Location"]) == (302, DASHBOARD)


def test_the_redraw_only_accepts_post(small, client, pmo):
    client.force_login(pmo)
    assert client.get(reverse("alignment:dashboard-refresh")).status_code == 405
    assert Job.objects.count() == 0


# ------------------------------------------------------------------------------------------ stale


def test_a_recompute_that_changes_scores_marks_the_stored_dashboard_stale_until_redrawn(small, exec_client):
    # given a fresh stored dashboard
    assert exec_client.get(DASHBOARD).context["view"].stale is False
    old_budget = payload_tiles(stored_payload(ALL_SCOPE))["budget"]["value"]

    # when a change is recomputed but the dashboards are not redrawn yet
    Initiative.objects.filter(code="E-1").update(budget_capex=Decimal("1035000"))
    services.recompute(today=today())

    # then the page serves the stored figures and says they are being redrawn
    response = exec_client.get(DASHBOARD)
    assert response.context["view"].stale is True
    assert "Scores changed since: being redrawn" in response.content.decode()
    assert f'<div class="tile-value">{old_budget}</div>' in response.content.decode()

    # and once redrawn, the new figures without the mark
    services.render_dashboards(today=today())
    response = exec_client.get(DASHBOARD)
    assert response.context["view"].stale is False
    assert "being redrawn" not in response.content.decode()
    assert '<div class="tile-value">€3.98M</div>' in response.content.decode()


# ------------------------------------------------------------------------------------------ query counts


def test_query_counts_do_not_grow_with_the_portfolio(exec_client, django_assert_max_num_queries):
    theme = ObjectiveFactory(code="T", title="Theme")
    objectives = [theme] + [ObjectiveFactory(code=f"O{n}", parent=theme) for n in range(3)]
    KPIFactory(objective=objectives[1])
    programs = [ProgramFactory(name=f"P{n}") for n in range(3)]
    spend_url = reverse("alignment:dashboard-spend", args=[objectives[1].pk])
    counts = []
    for start, n in [(0, 5), (5, 35)]:
        grow(n, programs, objectives, start)
        services.recompute(today=today())
        services.record_history(today=today())
        services.render_dashboards(today=today())
        stored = count_queries(lambda: exec_client.get(DASHBOARD))
        filtered = count_queries(lambda: exec_client.get(DASHBOARD, {"category": "grow", "tier": "3"}))
        program = count_queries(lambda: exec_client.get(DASHBOARD, {"program": programs[0].pk}))
        themed = count_queries(lambda: exec_client.get(DASHBOARD, {"theme": theme.pk}))
        spend = count_queries(
            lambda: exec_client.get(spend_url, {"program": programs[0].pk, "category": "grow"})
        )
        unaligned = count_queries(lambda: exec_client.get(reverse("alignment:dashboard-spend-unaligned")))
        counts.append((stored, filtered, program, themed, spend, unaligned))
    assert Initiative.objects.count() == 40
    assert counts[0] == counts[1], counts
    # the stored dashboard: the session, the user's roles, the filters' choices, the latest index, the snapshot
    with django_assert_max_num_queries(8):
        exec_client.get(DASHBOARD)
    # added up from the filter cube when not kept (test_dashboard_cube lists the 18), and under a category
    # filter the funded budget per category of the other filters, for the mix
    with django_assert_max_num_queries(19):
        exec_client.get(DASHBOARD, {"category": "grow", "tier": "3"})
    # the spend behind a bar: the session, the user and roles, the program filter's choice, the policy, the
    # objectives, the funded initiatives
    with django_assert_max_num_queries(7):
        exec_client.get(spend_url, {"program": programs[0].pk, "category": "grow"})


# ------------------------------------------------------------------------------------------ render_dashboards


def test_render_dashboards_stores_one_dashboard_for_the_portfolio_and_one_per_program(small):
    # given a program without initiatives and a snapshot of a program that no longer exists
    ProgramFactory(name="Empty")
    gone = ProgramFactory(name="Gone")
    InitiativeFactory(code="G-1", program=gone)
    services.render_dashboards(today=today())
    assert StoredDashboard.objects.filter(scope=program_scope(gone.pk)).exists()
    Initiative.objects.filter(code="G-1").delete()
    gone.delete()

    # when
    stored = services.render_dashboards(today=today())

    # then the portfolio and each program that has initiatives, nothing else
    programs = small["programs"]
    assert stored == 3
    assert sorted(StoredDashboard.objects.values_list("scope", flat=True)) == sorted(
        [ALL_SCOPE, program_scope(programs["Commerce"].pk), program_scope(programs["Stores"].pk)]
    )
    source = index(ALL_SCOPE, today()).computed_at
    assert set(StoredDashboard.objects.values_list("source_computed_at", flat=True)) == {source}


def test_render_dashboards_query_count_does_not_grow_with_the_programs(db):
    theme = ObjectiveFactory(code="T", title="Theme")
    objectives = [theme, ObjectiveFactory(code="O1", parent=theme)]
    KPIFactory(objective=objectives[1])
    programs = [ProgramFactory(name=f"P{n}") for n in range(2)]
    grow(6, programs, objectives, 0)
    services.recompute(today=today())
    few = count_queries(lambda: services.render_dashboards(today=today()))
    assert StoredDashboard.objects.count() == 3

    programs += [ProgramFactory(name=f"P{n}") for n in range(2, 8)]
    grow(24, programs, objectives, 6)
    services.recompute(today=today())
    many = count_queries(lambda: services.render_dashboards(today=today()))
    assert StoredDashboard.objects.count() == 9
    assert few == many


def test_render_dashboards_stores_them_a_batch_at_a_time(db, monkeypatch):
    # given nine dashboards to draw (the portfolio and eight programs), stored two per statement
    theme = ObjectiveFactory(code="T", title="Theme")
    objectives = [theme, ObjectiveFactory(code="O1", parent=theme)]
    programs = [ProgramFactory(name=f"P{n}") for n in range(8)]
    grow(16, programs, objectives, 0)
    services.recompute(today=today())
    monkeypatch.setattr(dashboards, "STORE_BATCH", 2)
    batches: list[int] = []
    upsert = dashboards.store.upsert

    def counted(model: Any, rows: Any, **options: Any) -> None:
        batches.append(len(rows))
        upsert(model, rows, **options)

    monkeypatch.setattr(dashboards.store, "upsert", counted)

    # when
    stored = services.render_dashboards(today=today())

    # then four full batches and the last one, every dashboard stored once
    assert stored == 9
    assert batches == [2, 2, 2, 2, 1]
    assert sorted(StoredDashboard.objects.values_list("scope", flat=True)) == sorted(
        [ALL_SCOPE, *(program_scope(p.pk) for p in programs)]
    )


# ------------------------------------------------------------------------------------------ shared page


def _csrf_in(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_a_stored_dashboard_is_rendered_once_per_roles_and_served_to_each_with_their_name_and_token(small):
    # given two executives; the first asks for the dashboard (rendered and kept)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(
        UserFactory(username="eve", first_name="Eve", last_name="<Early>", roles=[roles.EXECUTIVE])
    )
    second.force_login(
        UserFactory(username="bob", first_name="Bob", last_name="Board", roles=[roles.EXECUTIVE])
    )
    rendered = count_queries(lambda: first.get(DASHBOARD))

    # when the second asks
    served = count_queries(lambda: second.get(DASHBOARD))
    page = second.get(DASHBOARD).content.decode()

    # then it is served without rendering (the session, the user, the roles, the stored dashboard's stamp),
    # with the second's name and a CSRF token that is theirs: they can log out from it
    assert (rendered, served) == (8, 4)
    assert "Bob Board" in page
    assert "Eve" not in page
    assert "__bearing_" not in page
    assert page.count('name="csrfmiddlewaretoken"') == 1
    assert second.post(reverse("logout"), {"csrfmiddlewaretoken": _csrf_in(page)}).status_code == 302
    # and the first's page escapes their name
    assert "Eve &lt;Early&gt;" in first.get(DASHBOARD).content.decode()


def test_a_redrawn_dashboard_or_other_roles_or_htmx_get_their_own_rendering(small, exec_client, pmo):
    # given the dashboard served once
    exec_client.get(DASHBOARD)
    pmo_client = Client()
    pmo_client.force_login(pmo)

    # then a PMO (who may refresh it) gets a page rendered for the PMO, and htmx the fragment
    assert "Recompute" in pmo_client.get(DASHBOARD).content.decode()
    assert "Recompute" not in exec_client.get(DASHBOARD).content.decode()
    assert "<html" not in exec_client.get(DASHBOARD, headers={"HX-Request": "true"}).content.decode()

    # when the dashboards are redrawn after a change
    Initiative.objects.filter(code="E-1").update(budget_capex=Decimal("1035000"))
    services.recompute(today=today())
    services.render_dashboards(today=today())

    # then the page shows the new figures at once
    assert '<div class="tile-value">€3.98M</div>' in exec_client.get(DASHBOARD).content.decode()


def test_a_page_with_a_message_to_show_is_rendered_for_its_user(small, exec_client):
    # given the dashboard kept, then a message waiting for the user (in the messages cookie)
    exec_client.get(DASHBOARD)
    storage: Any = CookieStorage(HttpRequest())  # _encode: how Django signs the messages cookie
    exec_client.cookies[storage.cookie_name] = storage._encode(
        [Message(constants.INFO, "Your report is ready.")]
    )

    # then the page shows it, and not again
    assert "Your report is ready." in exec_client.get(DASHBOARD).content.decode()
    assert "Your report is ready." not in exec_client.get(DASHBOARD).content.decode()


def _funded_budget_tile(page: str) -> str:
    match = re.search(r'Funded budget</div>\s*<div class="tile-value">([^<]+)</div>', page)
    assert match is not None
    return match.group(1)


def test_a_computed_dashboard_is_kept_until_a_change_marks_it_or_a_recompute_writes(small, exec_client):
    # given the dashboard of a filter no stored dashboard matches, computed once (run: B-1 and E-1, €450k)
    services.recompute(today=today())
    filtered = DASHBOARD + "?category=run"
    computed = count_queries(lambda: exec_client.get(filtered))
    assert _funded_budget_tile(exec_client.get(filtered).content.decode()) == "€450k"

    # when it is asked again, then it is served without computing it: the session, the user, the roles and
    # the stamp of what it is drawn from
    assert (computed > 4, count_queries(lambda: exec_client.get(filtered))) == (True, 4)

    # when E-1's budget is raised behind the services' back, nothing says so: the kept page stands
    Initiative.objects.filter(code="E-1").update(
        budget_capex=Decimal("1035000"), budget_opex=Decimal("115000")
    )
    assert _funded_budget_tile(exec_client.get(filtered).content.decode()) == "€450k"

    # when the change marks E-1 stale, as every service's change does in its transaction, the page is new
    services.mark_stale([Initiative.objects.get(code="E-1").pk])
    assert _funded_budget_tile(exec_client.get(filtered).content.decode()) == "€1.45M"

    # and a full recompute, which writes the day's indices, starts a new page too (B-1 raised unmarked)
    Initiative.objects.filter(code="B-1").update(budget_opex=Decimal("220000"))
    services.recompute(today=today())
    assert _funded_budget_tile(exec_client.get(filtered).content.decode()) == "€1.55M"
