"""Printing an HTML document to PDF with headless chromium: the machinery behind steering's board pack and the
survey's workshop pack.

The printing browser loads the document from a made-up origin; every request to it is answered from memory or
from our static files by a route handler, and every other request is refused (nothing touches the network or
the file system). The page gets the same kind of Content-Security-Policy as the site. Each drawn chart is
turned into a static vector image first, so the PDF carries images, not live plots.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.html import escape

PRINT_ORIGIN = "https://boardpack.invalid"
PRINT_PAGE = f"{PRINT_ORIGIN}/"
PRINT_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'"
)
PDF_TIMEOUT_MS = 120_000

# Replace each drawn chart by a static SVG image of itself, so the PDF carries images, not live plots.
TO_IMAGES = """
async () => {
  for (const element of document.querySelectorAll('[data-chart][data-drawn="1"]')) {
    const url = await window.Plotly.toImage(element, {format: 'svg', width: element.clientWidth, height: element.clientHeight});
    const image = document.createElement('img');
    image.src = url;
    image.alt = element.getAttribute('aria-label') || 'chart';
    image.className = 'chart-image';
    element.replaceWith(image);
  }
}
"""
ALL_DRAWN = """
() => Array.from(document.querySelectorAll('[data-chart]')).every(e => e.dataset.drawn === '1')
"""


def print_assets(assets: dict[str, str]) -> tuple[dict[str, str], dict[str, Path]]:
    """The static files (`assets`: key -> path under static/) under PRINT_ORIGIN: the URLs the document links
    to, and the file behind each URL."""
    urls, files = {}, {}
    for key, path in assets.items():
        url = f"{PRINT_ORIGIN}/static/{path}"
        urls[key] = url
        files[url] = Path(finders.find(path) or Path(settings.STATIC_ROOT) / path)
    return urls, files


Printer = Callable[[str, str, dict[str, Path]], bytes]


def print_in_thread(
    html: str, footer: str, files: dict[str, Path], *, printer: Printer | None = None
) -> bytes:
    """print_html() (or `printer`) in a thread of its own: Playwright's synchronous API runs an event loop in
    its thread, where Django refuses database calls, so the caller gathers everything first and prints here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(printer or print_html, html, footer, files).result(
            timeout=PDF_TIMEOUT_MS / 1000 * 2
        )


def print_html(html: str, footer: str, files: dict[str, Path]) -> bytes:
    """Open the HTML in headless chromium, wait for every chart, turn them into images, print to A4.

    The page and its assets are served by a route handler (`files`: URL -> static file), so chromium
    needs no access to local files and can reach nothing else."""
    from playwright.sync_api import Route, sync_playwright

    def serve(route: Route) -> None:
        url = route.request.url
        if url == PRINT_PAGE:
            route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": PRINT_POLICY},
                body=html,
            )
        elif url in files:
            route.fulfill(path=files[url])
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=settings.BEARING_CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 1400})
            context.route("**/*", serve)
            page = context.new_page()
            page.goto(PRINT_PAGE, wait_until="load", timeout=PDF_TIMEOUT_MS)
            page.wait_for_function(ALL_DRAWN, timeout=PDF_TIMEOUT_MS)
            page.evaluate(TO_IMAGES)
            return page.pdf(
                format="A4",
                print_background=True,
                margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:8px;width:100%;padding:0 12mm;color:#6c757d;display:flex;'
                    f'justify-content:space-between"><span>{escape(footer)}</span>'
                    '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
                ),
            )
        finally:
            browser.close()
