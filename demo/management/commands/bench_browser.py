"""Benchmark of the executive dashboard in a browser, at several portfolio sizes: how long after the navigation
started headless chromium has drawn every chart, with an empty cache (cold) and a warm one, how much
JavaScript the dashboard ships, and whether the Plotly bundle is served under a hashed name to be cached for
good; next to a floor, a bare Django view loaded in the same run.

Served as production serves it (demo.browserbench): debug off, static files collected with hashed names and
served by whitenoise, through a real HTTP server. Times are the page's own clock (see demo.browserbench)."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alignment import services
from core import roles
from core.browser import chromium_available, chromium_path, launch_chromium
from demo.bench import FLOOR_PATH, analyze, bench_database, logged_in_client
from demo.browserbench import (
    DRAWN_LISTENER,
    HASHED_NAME,
    HOST,
    Samples,
    ScriptBytes,
    Visit,
    is_immutable,
    production_static_files,
    serve_in_thread,
    visit,
)
from demo.scale import build_scale, clear_portfolio

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Response, ViewportSize

DASHBOARD_PATH = "/dashboard/"
BUNDLE = "/vendor/plotly/plotly-bearing.min."
COLD_BUDGET_MS = 2000.0
WARM_BUDGET_MS = 1000.0
# JavaScript shipped to the dashboard: the bytes sent (compressed) for all its scripts, and the Plotly bundle's own
# decoded size (the partial bundle; htmx and bootstrap come on top of it decoded, not over the wire).
JS_BUDGET_BYTES = 1_500_000
TIMEOUT_MS = 60_000.0
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}


@dataclass
class Watch:
    """What the pages of a run did besides being timed: the Plotly bundle's response, errors, and requests
    that went anywhere but the server."""

    bundle_url: str = ""
    bundle_cache_control: str | None = None
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("response", self._response)
        page.on("request", lambda request: self._request(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _response(self, response: Response) -> None:
        if BUNDLE in response.url and not self.bundle_url:
            self.bundle_url = response.url
            self.bundle_cache_control = response.headers.get("cache-control")

    def _request(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme in {"http", "https", "ws", "wss"} and parsed.hostname != HOST:
            self.foreign.append(url)


@dataclass
class Measured:
    """One size's visits: per run, the floor and the dashboard, each cold then warm."""

    floor_cold: list[Visit] = field(default_factory=list)
    floor_warm: list[Visit] = field(default_factory=list)
    cold: list[Visit] = field(default_factory=list)
    warm: list[Visit] = field(default_factory=list)
    watch: Watch = field(default_factory=Watch)


class Command(BaseCommand):
    help = (
        "Time the dashboard in headless chromium at each size, served as in production (debug off, hashed "
        "static files through whitenoise) from a throwaway database: charts drawn after navigation with an "
        "empty and a warm cache, JavaScript shipped, immutable caching, next to a bare page as the floor; "
        "fails if a budget is missed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="Comma-separated initiative counts.")
        parser.add_argument(
            "--runs", type=int, default=5, help="Fresh browser contexts per page (one cold, one warm visit)."
        )
        parser.add_argument(
            "--history-months", type=int, default=3, help="Month ends of score history computed first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        runs = options["runs"]
        if runs < 1:
            raise CommandError("--runs must be at least 1")
        if not chromium_available():
            raise CommandError(f"No chromium at {chromium_path()} (set BEARING_CHROMIUM)")
        today = timezone.localdate()
        failures: list[str] = []
        with bench_database() as vendor, production_static_files(), serve_in_thread() as base_url:
            self.stdout.write(
                f"Database: {vendor}; debug off, static files collected under hashed names and served by "
                f"whitenoise; {runs} runs, each a fresh browser context per page: a cold visit, then a warm one."
            )
            for size in sizes:
                started = time.perf_counter()
                stored = self._build(size, today, options["history_months"])
                user = User.objects.create_user(f"bench-exec-{size}", password="unused")
                user.groups.add(Group.objects.get_or_create(name=roles.EXECUTIVE)[0])
                session = logged_in_client(user).cookies[settings.SESSION_COOKIE_NAME].value
                built = time.perf_counter() - started
                measured = self._measure(base_url, session, runs)
                self.stdout.write(
                    f"\n{size:,} initiatives (built in {built:.0f} s, {stored} stored dashboards, "
                    f"{measured.cold[0].containers} charts on the dashboard):"
                )
                failures += self._report(size, measured)
        if failures:
            raise CommandError("Budget missed:\n  " + "\n  ".join(failures))
        self.stdout.write(self.style.SUCCESS("Dashboard within its browser budgets at every size."))

    def _build(self, size: int, today: datetime.date, history_months: int) -> int:
        clear_portfolio()
        build_scale(initiatives=size, seed=1, as_of=today)
        if history_months:
            services.backfill_history(today=today, months=history_months)
        else:
            services.recompute(today=today)
        stored = services.render_dashboards(today=today)
        analyze()
        return stored

    def _measure(self, base_url: str, session: str, runs: int) -> Measured:
        """Per run and page, a fresh browser context (its own empty cache) holding the executive's session:
        one visit with the cache cold, then one with it warm. The floor and the dashboard alternate, so
        that a slower moment of the machine falls on both."""
        from playwright.sync_api import Error, sync_playwright

        measured = Measured()
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                for _ in range(runs):
                    cold, warm = self._visits(browser, base_url, session, FLOOR_PATH, measured.watch)
                    measured.floor_cold.append(cold)
                    measured.floor_warm.append(warm)
                    cold, warm = self._visits(browser, base_url, session, DASHBOARD_PATH, measured.watch)
                    measured.cold.append(cold)
                    measured.warm.append(warm)
            except Error as error:  # a page that never got ready (timeout), or the browser gone
                raise CommandError(f"{error} (page errors: {measured.watch.errors[:3]})") from error
            finally:
                browser.close()
        return measured

    def _visits(
        self, browser: Browser, base_url: str, session: str, path: str, watch: Watch
    ) -> tuple[Visit, Visit]:
        # No request routing: Playwright turns the browser's HTTP cache off while any route is installed.
        context = browser.new_context(viewport=VIEWPORT, base_url=base_url)
        try:
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
            context.add_init_script(DRAWN_LISTENER)
            page = context.new_page()
            watch.attach(page)
            charts = path == DASHBOARD_PATH
            cold = visit(page, path, charts=charts, timeout_ms=TIMEOUT_MS)
            warm = visit(page, path, charts=charts, timeout_ms=TIMEOUT_MS)
        finally:
            context.close()
        return cold, warm

    def _report(self, size: int, measured: Measured) -> list[str]:
        """Print one size's table; return the budgets it missed."""
        write = self.stdout.write
        floor_cold = Samples([v.ready_ms for v in measured.floor_cold])
        floor_warm = Samples([v.ready_ms for v in measured.floor_warm])
        cold = Samples([v.ready_ms for v in measured.cold])
        warm = Samples([v.ready_ms for v in measured.warm])
        html_cold = Samples([v.html_ms for v in measured.cold])
        html_warm = Samples([v.html_ms for v in measured.warm])
        write(
            f"  {'page (ms after navigation start)':<36} {'cold p50':>9} {'cold max':>9} {'warm p50':>9} "
            f"{'warm max':>9} {'x floor p50':>12} {'budget p50':>11}"
        )
        rows: list[tuple[str, Samples, Samples, str, str]] = [
            ("floor: bare Django view, loaded", floor_cold, floor_warm, "", ""),
            ("dashboard: HTML received", html_cold, html_warm, "", ""),
            (
                "dashboard: every chart drawn",
                cold,
                warm,
                f"{cold.p50 / floor_cold.p50:.1f}/{warm.p50 / floor_warm.p50:.1f}",
                f"{COLD_BUDGET_MS:.0f}/{WARM_BUDGET_MS:.0f}",
            ),
        ]
        for label, c, w, ratio, budget in rows:
            write(
                f"  {label:<36} {c.p50:9.0f} {c.max:9.0f} {w.p50:9.0f} {w.max:9.0f} {ratio:>12} {budget:>11}"
            )
        first = measured.cold[0]
        scripts = first.scripts()
        bundle = first.scripts(BUNDLE)
        warm_fetched = max(v.scripts().transferred for v in measured.warm)
        write(
            f"  Dashboard HTML {first.html_bytes:,} bytes. JavaScript: {scripts.files} files, {scripts.encoded:,} "
            f"bytes sent compressed (budget {JS_BUDGET_BYTES:,}), {scripts.decoded:,} decoded; of which the "
            f"Plotly bundle {bundle.encoded:,} and {bundle.decoded:,} (budget {JS_BUDGET_BYTES:,}); warm visits "
            f"fetched {warm_fetched:,} bytes"
        )
        watch = measured.watch
        bundle_name = urlparse(watch.bundle_url).path.rsplit("/", 1)[-1]
        hashed = bool(HASHED_NAME.search(bundle_name))
        immutable = is_immutable(watch.bundle_cache_control)
        write(
            f"  Plotly bundle: {bundle_name or 'not fetched'} ({'hashed' if hashed else 'NOT hashed'} name), "
            f'Cache-Control "{watch.bundle_cache_control}" ({"immutable" if immutable else "NOT immutable"})'
        )
        return self._misses(size, measured, cold, warm, scripts, bundle, hashed=hashed, immutable=immutable)

    def _misses(
        self,
        size: int,
        measured: Measured,
        cold: Samples,
        warm: Samples,
        scripts: ScriptBytes,
        bundle: ScriptBytes,
        *,
        hashed: bool,
        immutable: bool,
    ) -> list[str]:
        at = f"at {size:,}"
        misses = []
        if cold.p50 > COLD_BUDGET_MS:
            misses.append(f"charts drawn cold {at}: p50 {cold.p50:.0f} ms > {COLD_BUDGET_MS:.0f} ms")
        if warm.p50 > WARM_BUDGET_MS:
            misses.append(f"charts drawn warm {at}: p50 {warm.p50:.0f} ms > {WARM_BUDGET_MS:.0f} ms")
        if scripts.encoded > JS_BUDGET_BYTES:
            misses.append(f"JavaScript {at}: {scripts.encoded:,} bytes sent > {JS_BUDGET_BYTES:,}")
        if bundle.decoded > JS_BUDGET_BYTES:
            misses.append(f"Plotly bundle {at}: {bundle.decoded:,} bytes decoded > {JS_BUDGET_BYTES:,}")
        if not (hashed and immutable):
            misses.append(f"Plotly bundle {at}: not served under a hashed name as immutable")
        for v in measured.cold + measured.warm:
            if v.charts_drawn != v.containers or not v.containers:
                misses.append(f"dashboard {at}: {v.charts_drawn} of {v.containers} charts drawn")
                break
        navigations = {v.navigation for v in measured.cold + measured.warm}
        if navigations != {"navigate"}:
            misses.append(f"dashboard {at}: navigations of types {sorted(navigations)}")
        if measured.watch.errors:
            misses.append(f"dashboard {at}: page errors {measured.watch.errors[:3]}")
        if measured.watch.foreign:
            misses.append(f"dashboard {at}: requests left the server {measured.watch.foreign[:3]}")
        return misses
