"""Headless chromium driven through Playwright: where it is (BEARING_CHROMIUM) and how it is launched.

Shared by the browser tests and the browser benchmark (`manage.py bench_browser`). Playwright never downloads
a browser here: it drives the system's chromium through `executable_path`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """The chromium to drive: BEARING_CHROMIUM, a path or a command name."""
    return str(settings.BEARING_CHROMIUM)


def chromium_available(path: str | None = None) -> bool:
    """Whether that chromium exists (as a file, or as a command on PATH)."""
    path = path or chromium_path()
    return Path(path).exists() or bool(shutil.which(path))


def launch_chromium(playwright: Playwright, path: str | None = None) -> Browser:
    """Launch that chromium headless, with the flags that keep it quiet and working in a container."""
    return playwright.chromium.launch(
        executable_path=path or chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
