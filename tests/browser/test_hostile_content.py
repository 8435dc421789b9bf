"""Chromium visits every page of a portfolio whose every entered text is an attack (tests/core/hostile.py), as
the admin, with its charts drawn, and swaps each page's htmx fragment into it as htmx would: no script runs
(window.__xss stays undefined), no dialog opens, no link or form leads to a javascript: URL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portfolio import models as pm
from tests.browser.conftest import login
from tests.core import hostile as h

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DRAWN = """() => [...document.querySelectorAll('[data-chart]')].every(e => e.dataset.drawn === '1')"""
# what ran, if anything did: the flag the payloads set, and links or forms whose target is a javascript: URL
RAN = """() => ({
  xss: typeof window.__xss === 'undefined' ? null : String(window.__xss),
  javascript: [...document.querySelectorAll('[href], [src], [action], [formaction]')]
    .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action')
              || e.getAttribute('formaction') || '')
    .filter(u => /^\\s*javascript:/i.test(u)),
})"""
# swap the page's own URL, asked for as htmx asks (its fragment), into the page as htmx does
SWAP = (
    """(url) => window.htmx.ajax('GET', url, {target: document.querySelector('#main'), swap: 'innerHTML'})"""
)
# every image has loaded or failed (an onerror handler would have run by then)
SETTLED = """() => [...document.images].every(image => image.complete)"""


def pages(portfolio: h.Hostile) -> list[str]:
    """The URLs that answer a GET with an HTML page (the walk's posts and downloads are left out), each route
    filled with its first record (the lists show the others; tests/core/test_hostile_content.py reads every
    record's pages, without a browser)."""
    client = Client()
    client.force_login(portfolio.users["admin"])
    return [
        v.url
        for v in h.visit_all(client, h.urls(records=1))
        if v.status == 200 and v.content_type.startswith("text/html")
    ]


def test_no_payload_runs_in_chromium_on_any_page_or_swapped_fragment(page: Any, time_machine):
    # given the hostile portfolio, and the admin logged in
    time_machine.move_to(h.NOW)
    portfolio = h.build()
    urls = pages(portfolio)
    dialogs: list[str] = []

    def record_dialog(dialog: Any) -> None:
        dialogs.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record_dialog)
    login(page, "h-admin", h.PASSWORD)

    # when every page is opened (and its fragment swapped in where the page runs htmx)
    ran: dict[str, Any] = {}
    for url in urls:
        page.goto(url, wait_until="load")
        page.wait_for_function(DRAWN)
        if page.evaluate("() => Boolean(window.htmx && document.querySelector('#main'))"):
            page.evaluate(SWAP, url)
            page.wait_for_function(DRAWN)
            page.wait_for_function(SETTLED)
        found = page.evaluate(RAN)
        if found["xss"] is not None or found["javascript"]:
            ran[url] = found

    # then
    assert len(urls) > 50
    assert ran == {}
    assert dialogs == []
    page.watch.assert_clean()


def test_chart_labels_show_what_was_typed(page: Any, time_machine):
    # given a KPI named and measured in markup Plotly would draw (a link, bold, a superscript)
    time_machine.move_to(h.NOW)
    h.build()
    kpi = pm.KPI.objects.order_by("pk").first()
    assert kpi is not None
    name, unit = '<b>Bold</b> <a href="https://evil.example/">link</a>', "<sup>2</sup>m"
    pm.KPI.objects.filter(pk=kpi.pk).update(name=name, unit=unit)
    login(page, "h-admin", h.PASSWORD)

    # when its page draws its chart
    page.goto(reverse("portfolio:kpi-detail", args=[kpi.pk]))
    page.wait_for_function(DRAWN)

    # then the title and the y axis read what was typed, and the chart holds no link
    chart = page.locator("[data-chart]").first
    assert chart.locator(".gtitle").text_content() == (
        f"{name}: readings, expected progress, target and forecast ({unit})"
    )
    assert chart.locator(".g-ytitle").text_content() == unit
    assert chart.locator("svg a").count() == 0
