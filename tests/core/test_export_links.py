"""Each list page offers its downloads (CSV and .xlsx) with the filters it shows, in the page and in the results
htmx swaps in when a filter changes."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tests.factories import KPIFactory, ObjectiveFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def download_links(response) -> list[str]:
    assert response.status_code == 200
    return [
        html.unescape(href)
        for href in re.findall(r'<a [^>]*href="([^"]+)" download>', response.content.decode())
    ]


@pytest.mark.parametrize(
    ("page", "query", "expected"),
    [
        (
            "portfolio:initiative-list",
            "?q=%3Cb%3E&category=run&sort=-budget&page=2&per_page=100",
            ["/initiatives/export.csv?q=%3Cb%3E&category=run&sort=-budget",
             "/initiatives/export.xlsx?q=%3Cb%3E&category=run&sort=-budget"],
        ),
        (
            "portfolio:milestone-list",
            "?state=late&category=grow",
            ["/milestones/export.csv?state=late&category=grow", "/milestones/export.xlsx?state=late&category=grow"],
        ),
        ("risk:risk-list", "?status=open&level=high", ["/risks/export.csv?status=open&level=high",
                                                        "/risks/export.xlsx?status=open&level=high"]),
        ("alignment:signal-list", "?severity=red", ["/signals/export.csv?severity=red", "/signals/export.xlsx?severity=red"]),
        (
            "steering:decision-log",
            "?decision=stop&date_from=2026-01-01",
            ["/steering/decisions/export.csv?decision=stop&date_from=2026-01-01",
             "/steering/decisions/export.xlsx?decision=stop&date_from=2026-01-01"],
        ),
        ("steering:action-list", "?status=all&mine=on", ["/steering/actions/export.csv?status=all&mine=on",
                                                          "/steering/actions/export.xlsx?status=all&mine=on"]),
    ],
)  # fmt: skip
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_list_links_its_downloads_with_its_filters(page, query, expected, headers, client, executive):
    # given
    client.force_login(executive)

    # when
    response = client.get(reverse(page) + query, **headers)

    # then
    assert download_links(response) == expected


def test_the_objective_tree_links_its_branch_and_its_kpis_and_readings(client, executive):
    # given
    theme = ObjectiveFactory(code="T1")
    ObjectiveFactory(code="O1", parent=theme)

    client.force_login(executive)

    # when
    whole = download_links(client.get(reverse("portfolio:objective-list")))
    branch = download_links(client.get(reverse("portfolio:objective-list"), {"root": theme.pk}))

    # then
    assert whole == [
        "/objectives/export.csv",
        "/objectives/export.xlsx",
        "/kpis/export.csv",
        "/kpis/export.xlsx",
        "/readings/export.csv",
        "/readings/export.xlsx",
    ]
    assert branch == [f"/objectives/export.csv?root={theme.pk}", f"/objectives/export.xlsx?root={theme.pk}",
                      f"/kpis/export.csv?objective={theme.pk}", f"/kpis/export.xlsx?objective={theme.pk}",
                      f"/readings/export.csv?objective={theme.pk}", f"/readings/export.xlsx?objective={theme.pk}"]  # fmt: skip


def test_objective_and_kpi_pages_link_their_own_kpis_and_readings(client, executive):
    # given
    client.force_login(executive)
    kpi = KPIFactory()

    # when
    objective_page = download_links(
        client.get(reverse("portfolio:objective-detail", args=[kpi.objective_id]))
    )
    kpi_page = download_links(
        client.get(reverse("portfolio:kpi-detail", args=[kpi.pk]), {"next": "/worklist/"})
    )

    # then
    o = kpi.objective_id
    assert objective_page == [f"/objectives/{o}/kpis.csv", f"/kpis/export.csv?objective={o}", f"/kpis/export.xlsx?objective={o}",
                              f"/readings/export.csv?objective={o}", f"/readings/export.xlsx?objective={o}"]  # fmt: skip
    assert kpi_page == [
        f"/kpis/{kpi.pk}/chart.csv",
        f"/readings/export.csv?kpi={kpi.pk}",
        f"/readings/export.xlsx?kpi={kpi.pk}",
    ]
