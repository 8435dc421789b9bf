"""What a user typed is shown as text wherever it appears: form help text, chart labels (Plotly reads a subset of
HTML in every label), chart JSON embedded in pages, and the board pack."""

from __future__ import annotations

import datetime
import importlib
import json
import re
from typing import Any

import pytest
from django import forms
from django.urls import reverse
from django.utils.html import format_html

from alignment import charts
from alignment.dashboard import KPISeries
from alignment.models import ALL_SCOPE, StoredDashboard
from core.chart_parts import script_json
from core.formkit import BearingForm
from tests.factories import KPIFactory

D = datetime.date
HTMX = {"HTTP_HX_REQUEST": "true"}
UNIT = '%"><svg onload=alert()>'
NOW = datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC)


# ------------------------------------------------------------------------------------------ help text


@pytest.fixture
def hostile_unit_kpi(db, time_machine) -> Any:
    time_machine.move_to(NOW)
    return KPIFactory(unit=UNIT)


HELP_TEXT = '<div class="form-text" id="id_value_helptext">In %&quot;&gt;&lt;svg onload=alert()&gt;.</div>'


def test_the_reading_forms_help_text_shows_the_kpis_unit_as_text_on_the_kpi_page(
    hostile_unit_kpi, client, pmo
):
    # given
    client.force_login(pmo)

    # when
    html = client.get(reverse("portfolio:kpi-detail", args=[hostile_unit_kpi.pk])).content.decode()

    # then
    assert "<svg" not in html
    assert HELP_TEXT in html


def test_the_reading_forms_help_text_shows_the_kpis_unit_as_text_in_the_htmx_fragment(
    hostile_unit_kpi, client, pmo
):
    # given a reading refused (no value): the fragment shows the form again
    client.force_login(pmo)

    # when
    response = client.post(
        reverse("portfolio:reading-create", args=[hostile_unit_kpi.pk]),
        {"date": "2026-11-20", "value": "", "source": ""},
        **HTMX,
    )

    # then
    html = response.content.decode()
    assert response.status_code == 422
    assert "<svg" not in html
    assert HELP_TEXT in html


class HelpForm(BearingForm):
    plain = forms.CharField(help_text="Typed <script>window.__xss=1</script> & kept as text.")
    built = forms.CharField(help_text=format_html("Markup built on purpose: <b>{}</b>", "<i>bold</i>"))


def test_help_text_is_escaped_unless_it_was_built_as_markup():
    # when
    html = str(HelpForm())

    # then
    assert (
        '<div class="form-text" id="id_plain_helptext">'
        "Typed &lt;script&gt;window.__xss=1&lt;/script&gt; &amp; kept as text.</div>"
    ) in html
    assert (
        '<div class="form-text" id="id_built_helptext">Markup built on purpose: <b>&lt;i&gt;bold&lt;/i&gt;</b></div>'
    ) in html


# ------------------------------------------------------------------------------------------ chart JSON


def test_script_json_cannot_close_its_script_element_or_open_a_comment():
    # given
    value = {"name": "</script><script>window.__xss=1</script><!-- & -->"}

    # when
    text = script_json(value)

    # then
    assert text == (
        '{"name":"\\u003C/script\\u003E\\u003Cscript\\u003Ewindow.__xss=1\\u003C/script\\u003E'
        '\\u003C!-- \\u0026 --\\u003E"}'
    )
    assert json.loads(text) == value


# ------------------------------------------------------------------------------------------ Plotly labels

LINK = '<a href="https://evil.example/" popup="x">click</a>'
SHOWN = '&lt;a href="https://evil.example/" popup="x"&gt;click&lt;/a&gt;'
# the markup our own builders put in labels; anything else that looks like a tag came from a user
OUR_TAGS = {"<br>", "<b>", "</b>", "<extra>", "</extra>"}


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


def foreign_tags(figure: dict[str, Any]) -> set[str]:
    return {tag for text in strings(figure) for tag in re.findall(r"<[^<>]*>", text)} - OUR_TAGS


def hostile_series() -> KPISeries:
    return KPISeries(
        id=7,
        name=LINK,
        unit=f"%{{customdata}} {LINK}",
        objective="O<1> & co",
        status="on_track",
        baseline=(D(2026, 1, 1), 2.0),
        target=(D(2027, 1, 1), 4.0),
        interim=[],
        readings=[(D(2026, 3, 1), 2.4)],
        forecast=None,
    )


def test_kpi_panels_show_names_units_and_titles_literally():
    # when
    chart = charts.kpi_small_multiples(
        {"kpis": [hostile_series()]}, lambda pk: f"/kpis/{pk}/", columns=1, title=f"KPIs of {LINK}"
    )

    # then
    figure = chart.figure
    assert foreign_tags(figure) == set()
    assert figure["layout"]["title"]["text"] == f"KPIs of {SHOWN}"
    assert figure["layout"]["yaxis"]["title"]["text"] == f"%{{customdata}} {SHOWN}"
    assert [a["text"] for a in figure["layout"]["annotations"]] == [
        '<b>O&lt;1&gt; &amp; co · &lt;a href="https://evil.example/" popup=</b><br>On track'
    ]
    readings = next(t for t in figure["data"] if t["name"] == "Readings")
    # the unit is a value the template fills in, never part of the template (where %{...} would be read)
    assert readings["hovertemplate"] == "%{y} %{hovertext} on %{x}<extra></extra>"
    assert readings["hovertext"] == [f"%{{customdata}} {SHOWN}"]
    # the table (and so the CSV) keeps what was typed
    assert chart.table.rows[0][:3] == [LINK, "O<1> & co", f"%{{customdata}} {LINK}"]


def test_heat_map_bubbles_and_investment_show_codes_and_titles_literally():
    # given
    initiative = {"id": 10, "code": "<b>A</b>", "title": LINK, "budget": 500_000.0}
    objective = {"id": 1, "code": "<i>O1</i>", "title": LINK}

    # when
    heatmap = charts.alignment_heatmap(
        {"objectives": [objective], "initiatives": [initiative], "cells": {(1, 10): (1.0, "strong")}},
        lambda pk: f"/initiatives/{pk}/",
    )
    bubbles = charts.value_risk_bubbles(
        {"points": [{**initiative, "fit": 50.0, "exposure": 9, "tier": 2}]}, lambda pk: f"/i/{pk}/"
    )
    investment = charts.investment_vs_priority(
        {
            "units": [{**objective, "weight_share": 1.0, "spend_share": 1.0, "spend": 5.0}],
            "unaligned": 0.0,
            "unaligned_share": 0.0,
            "total": 5.0,
        },
        lambda pk: f"/o/{pk}/",
    )

    # then
    for chart in (heatmap, bubbles, investment):
        assert foreign_tags(chart.figure) == set(), chart.key
    trace = heatmap.figure["data"][0]
    # on the axes, code and name cut short: the cut is made on the text, then written as text
    assert trace["x"] == ['&lt;b&gt;A&lt;/b&gt; &lt;a href="https://ev…']
    assert trace["y"] == ['&lt;i&gt;O1&lt;/i&gt; &lt;a href="https://evil.example…']
    assert trace["hovertext"] == [
        [
            f"&lt;b&gt;A&lt;/b&gt; {SHOWN}<br>→ &lt;i&gt;O1&lt;/i&gt; {SHOWN}<br>strong contribution; "
            "relative weight × strength = 1.00"
        ]
    ]
    tier_two = bubbles.figure["data"][1]
    assert tier_two["text"] == ["&lt;b&gt;A&lt;/b&gt;"]
    assert tier_two["hovertext"] == [f"&lt;b&gt;A&lt;/b&gt; {SHOWN}<br>budget €500k"]
    bars = investment.figure["data"][0]
    assert bars["y"] == ['&lt;i&gt;O1&lt;/i&gt; &lt;a href="https://evil.example…', "No objective"]
    assert bars["hovertext"] == [f"&lt;i&gt;O1&lt;/i&gt; {SHOWN}", "Funded initiatives with no objective"]
    assert heatmap.table.rows == [["<i>O1</i>", LINK, "<b>A</b>", LINK, "strong", 1.0]]
    assert bubbles.table.rows[0][:2] == ["<b>A</b>", LINK]


def test_kpi_chart_title_on_the_kpi_page_is_text_for_plotly(hostile_unit_kpi, client, executive):
    # given
    client.force_login(executive)

    # when
    html = client.get(reverse("portfolio:kpi-detail", args=[hostile_unit_kpi.pk])).content.decode()

    # then the figure embedded in the page carries the unit escaped for Plotly, inside JSON escaped for HTML
    source = re.search(r'<script type="application/json" id="figure-kpis">(.*?)</script>', html, re.S)
    assert source is not None
    figure = json.loads(source.group(1))
    assert foreign_tags(figure) == set()
    assert figure["layout"]["title"]["text"] == (
        f"{hostile_unit_kpi.name}: readings, expected progress, target and forecast "
        '(%"&gt;&lt;svg onload=alert()&gt;)'
    )
    assert "\\u0026lt;svg" in source.group(1)


# ------------------------------------------------------------------------------------------ stored dashboards


def test_dashboards_stored_before_labels_were_escaped_are_forgotten_and_computed_on_request(
    hostile_unit_kpi, client, executive
):
    # given a dashboard stored by an earlier version, its figures holding user text as Plotly markup
    old = (
        '<script type="application/json" id="figure-kpis">{"layout":{"title":{"text":"<a href=x>"}}}</script>'
    )
    StoredDashboard.objects.create(scope=ALL_SCOPE, computed_at=NOW, payload="{}", html=old)
    migration = importlib.import_module("alignment.migrations.0012_redraw_stored_dashboards")

    # when the migration runs (the model it names was later renamed StoredDashboard: alignment 0017)
    class AppsOfThen:
        def get_model(self, app_label: str, name: str) -> type[StoredDashboard]:
            assert (app_label, name) == ("alignment", "DashboardSnapshot")
            return StoredDashboard

    migration.forget_stored_dashboards(AppsOfThen(), None)

    # then nothing stored is left, and the page computes the dashboard with labels as text
    assert StoredDashboard.objects.count() == 0
    client.force_login(executive)
    response = client.get(reverse("alignment:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert old not in html
    figures = [
        json.loads(s) for s in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html)
    ]
    assert len(figures) == 7
    assert all(foreign_tags(figure) == set() for figure in figures)
