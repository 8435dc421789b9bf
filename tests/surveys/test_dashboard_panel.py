"""On the program's dashboard: the leadership-agreement index of the program's latest closed round, how it moved,
where it stands against the signal's thresholds, a link to the workshop and the trend across rounds (figure,
table and CSV); closing a round redraws the stored dashboards after commit. The workshop shows the same trend."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from alignment import services as alignment_services
from alignment.models import Signal, StoredDashboard, program_scope
from core.chart_parts import script_json
from surveys import charts, selectors
from tests.conftest import PERSONAS
from tests.surveys.conftest import BUSINESS_GOALS, IT_GOALS, NOW, closed_with

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("alignment:dashboard")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def two_rounds(pmo, program, time_machine):
    """Round 1 closed on 21 August 2026 with the same answers on both sides (agreement 100), Round 2 on 21
    November with the worked example's (15.59)."""
    time_machine.move_to(NOW - datetime.timedelta(days=92))
    first = closed_with(pmo, program, "cost", "cost", "Round 1")
    time_machine.move_to(NOW)
    second = closed_with(pmo, program, BUSINESS_GOALS, IT_GOALS, "Round 2")
    return first, second


def figure(content: str, key: str) -> dict:
    found = re.search(rf'<script type="application/json" id="figure-{key}">(.*?)</script>', content, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_program_dashboard_shows_the_latest_rounds_agreement_trend_and_workshop_link(
    pmo, executive, program, time_machine
):
    # given two closed rounds of the program, and the dashboards drawn after a recompute
    first, second = two_rounds(pmo, program, time_machine)
    alignment_services.recompute()
    alignment_services.render_dashboards()

    # when an executive opens the program's (stored) dashboard
    response = client_for(executive).get(DASHBOARD, {"program": program.pk})

    # then the panel shows the latest round's index, the one before, the signal band and the workshop link
    assert response.context["view"].stored is True
    content = response.content.decode()
    assert '<span class="tile-value" id="leadership-agreement">16</span>' in content
    assert "Below 25: a red leadership signal; it was 100 in the round before." in content
    assert "in the latest closed round, “Round 2” (2026-11-21)" in content
    assert (
        f'href="{reverse("surveys:workshop", args=[second.pk])}">Open the round\'s workshop view' in content
    )
    # and the trend chart: both rounds, oldest first, with the signal's lines and a legend, 0-100
    trend = figure(content, "agreement-trend")
    assert [trace["name"] for trace in trend["data"]] == [
        "Agreement (0-100)",
        "Signal (amber) below 40",
        "Signal (red) below 25",
    ]
    assert trend["data"][0]["x"] == ["2026-08-21 (#1)", "2026-11-21 (#2)"]
    assert trend["data"][0]["y"] == [100.0, 15.6]
    assert trend["data"][0]["marker"]["symbol"] == ["circle", "diamond"]
    assert trend["layout"]["yaxis"]["range"] == [0, 105]
    assert trend["layout"]["yaxis"]["title"]["text"] == "Agreement (0-100)"
    assert trend["layout"]["showlegend"] is True
    assert "<td>Round 1</td><td>2026-08-21</td><td>100.0</td>" in content
    assert "<td>Round 2</td><td>2026-11-21</td><td>15.6</td>" in content
    assert f'href="{reverse("surveys:trend-csv", args=[second.pk])}" download' in content
    assert first.pk != second.pk


def test_the_dashboard_computed_for_a_program_and_a_filter_shows_the_panel_too(
    pmo, executive, program, time_machine
):
    two_rounds(pmo, program, time_machine)
    alignment_services.recompute()

    response = client_for(executive).get(DASHBOARD, {"program": program.pk, "category": "grow"})

    assert response.context["view"].stored is False
    assert response.context["payload"]["survey"]["latest"]["agreement"] == "16"
    assert '<span class="tile-value" id="leadership-agreement">16</span>' in response.content.decode()


def test_a_program_without_a_closed_round_says_so(executive, program):
    alignment_services.recompute()
    alignment_services.render_dashboards()

    content = client_for(executive).get(DASHBOARD, {"program": program.pk}).content.decode()

    assert "No leadership alignment survey of this program is closed yet." in content
    assert 'id="leadership-agreement"' not in content


def test_the_portfolio_dashboard_has_no_survey_panel(pmo, executive, program, time_machine):
    two_rounds(pmo, program, time_machine)
    alignment_services.recompute()
    alignment_services.render_dashboards()

    content = client_for(executive).get(DASHBOARD).content.decode()

    assert 'id="leadership-survey"' not in content


def test_closing_a_round_recomputes_the_signal_and_redraws_the_stored_dashboard_after_commit(
    pmo, program, django_capture_on_commit_callbacks
):
    # given the program's dashboard drawn before any survey
    alignment_services.recompute()
    alignment_services.render_dashboards()
    before = StoredDashboard.objects.get(scope=program_scope(program.pk))
    assert json.loads(before.payload)["survey"] == {
        "latest": None,
        "surveys_url": reverse("surveys:round-list"),
    }

    # when a round is closed, and its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        survey = closed_with(pmo, program, BUSINESS_GOALS, IT_GOALS, "Round 1")

    # then the engine raised the leadership signal and the stored dashboard shows the round
    assert Signal.objects.get(rule="leadership_misaligned").program_id == program.pk
    after = StoredDashboard.objects.get(scope=program_scope(program.pk))
    latest = json.loads(after.payload)["survey"]["latest"]
    assert (latest["id"], latest["agreement"], latest["band"]) == (survey.pk, "16", "red")
    assert 'id="leadership-agreement">16<' in after.html


def test_closing_a_round_marks_the_portfolio_stale_in_its_own_transaction(pmo, program):
    from alignment.models import PortfolioMark

    # when a round closes (its on-commit recompute not run, as if the message were lost)
    closed_with(pmo, program, BUSINESS_GOALS, IT_GOALS, "Round 1")

    # then the portfolio is marked stale for the sweep
    assert PortfolioMark.objects.get(key=PortfolioMark.PORTFOLIO).stale_since is not None


def test_the_workshop_shows_the_trend_of_the_programs_rounds(pmo, executive, program, time_machine):
    first, second = two_rounds(pmo, program, time_machine)

    response = client_for(executive).get(reverse("surveys:workshop", args=[first.pk]))

    content = response.content.decode()
    trend = figure(content, "agreement-trend")
    assert trend["data"][0]["y"] == [100.0, 15.6]
    # the round the page is about is the larger marker; the workshop draws no signal lines
    assert trend["data"][0]["marker"]["size"] == [14, 8]
    assert len(trend["data"]) == 1
    assert "<td>Round 2</td><td>2026-11-21</td><td>15.6</td>" in content
    assert f'href="{reverse("surveys:trend-csv", args=[first.pk])}" download' in content


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_the_trend_csv_is_read_by_every_role(persona, pmo, program, time_machine):
    _first, second = two_rounds(pmo, program, time_machine)

    response = client_for(persona).get(reverse("surveys:trend-csv", args=[second.pk]))

    if persona.username == "outsider":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Round", "Closed on", "Agreement (0-100)"],
        ["Round 1", "2026-08-21", "100.0"],
        ["Round 2", "2026-11-21", "15.6"],
    ]


def test_the_trend_csv_of_an_open_round_is_not_found(pmo, executive, program):
    from tests.surveys.conftest import draft_round

    survey = draft_round(pmo, program)
    assert client_for(executive).get(reverse("surveys:trend-csv", args=[survey.pk])).status_code == 404


def test_the_trend_keeps_the_latest_rounds_only(pmo, program):
    from surveys.models import RoundStatus, SurveyRound

    # given more closed rounds than the trend shows
    for n in range(selectors.TREND_ROUNDS + 2):
        SurveyRound.objects.create(
            title=f"R{n}",
            program=program,
            facilitator=pmo,
            status=RoundStatus.CLOSED,
            agreement=float(n),
            closed_at=NOW + datetime.timedelta(days=n),
        )

    rounds = selectors.agreement_trend(program.pk)

    assert [title for _pk, title, _a, _c in rounds] == [f"R{n}" for n in range(2, 14)]


def test_the_trend_chart_escapes_titles_in_the_figure_and_keeps_them_in_the_table():
    chart = charts.agreement_trend(
        [(1, "<b>Q1</b> & co", 42.25, datetime.date(2026, 3, 31))], current=1, thresholds=(40.0, 25.0)
    )

    assert chart.figure["data"][0]["customdata"] == ["&lt;b&gt;Q1&lt;/b&gt; &amp; co"]
    assert chart.figure["data"][0]["y"] == [42.2]
    assert chart.figure["data"][1]["x"] == ["2026-03-31 (#1)", "2026-03-31 (#1)"]
    assert chart.table.rows == [["<b>Q1</b> & co", "2026-03-31", 42.2]]
    assert "<b>" not in script_json(chart.figure)
