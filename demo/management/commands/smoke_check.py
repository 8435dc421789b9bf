"""End-to-end check of the embedded default: serve Bearing, log in over HTTP as every demo account, crawl."""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import roles
from demo.northwind import DEMO_ACCOUNTS, DEMO_PASSWORD
from portfolio.models import KPI, Initiative, Objective

ROLE_ACCOUNTS = {account.role: account.username for account in reversed(DEMO_ACCOUNTS)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Session:
    """A cookie-keeping HTTP client, enough to log in through the login form like a browser."""

    def __init__(self, base: str, *, follow: bool = True) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        handlers: list[Any] = [urllib.request.HTTPCookieProcessor(self.jar)]
        if not follow:
            handlers.append(_NoRedirect())
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + "/"})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode("utf-8", "replace")

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.jar if c.name == name), "")

    def login(self, username: str, password: str) -> bool:
        self.request("/accounts/login/")
        status, url, _ = self.request(
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": self.cookie("csrftoken")},
        )
        return status == 200 and "/accounts/login/" not in url


class Command(BaseCommand):
    help = "Serve Bearing with runserver, log in over HTTP as each demo account and crawl every page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=0, help="Port for the server (default: a free one).")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"] or _free_port()
        base = f"http://127.0.0.1:{port}"
        pages = [
            "/",
            "/initiatives/",
            "/initiatives/?sort=-alignment&stage=in_delivery&tier=1",
            "/objectives/",
        ]
        pages += ["/programs/", "/risks/", "/signals/", "/signals/?severity=red", "/recompute/", "/scoring/"]
        for pk in Initiative.objects.values_list("pk", flat=True):
            pages += [f"/initiatives/{pk}/", f"/initiatives/{pk}/why/"]
        pages += [f"/objectives/{pk}/" for pk in Objective.objects.values_list("pk", flat=True)]
        pages += [f"/kpis/{pk}/" for pk in KPI.objects.values_list("pk", flat=True)]
        if len(pages) < 20:
            raise CommandError("The database holds no demo portfolio: run `manage.py seed_demo` first.")
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DJANGO_DEBUG": "true"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        failures: list[str] = []
        try:
            self._wait_until_up(base, server)
            anonymous = Session(base, follow=False)
            status, _, _ = anonymous.request("/initiatives/")
            if status != 302:
                failures.append(
                    f"anonymous GET /initiatives/ answered {status}, expected a redirect to log in"
                )
            static_status, _, css = anonymous.request("/static/css/bearing.css")
            if static_status != 200 or "--bearing-navy" not in css:
                failures.append(f"static CSS answered {static_status}")
            for role in roles.ALL_ROLES:
                username = ROLE_ACCOUNTS[role]
                session = Session(base)
                if not session.login(username, DEMO_PASSWORD):
                    failures.append(f"{username} ({role}) could not log in with the demo password")
                    continue
                started = time.perf_counter()
                own = ["/accounts/security/", "/accounts/two-factor/"]
                admin_pages = (
                    ["/admin/", "/accounts/people/", "/accounts/audit/"] if role == roles.ADMIN else []
                )
                for path in pages + own + admin_pages:
                    status, _, body = session.request(path)
                    if status != 200:
                        failures.append(f"{username}: GET {path} answered {status}")
                    elif "<html" not in body:
                        failures.append(f"{username}: GET {path} is not a page")
                elapsed = time.perf_counter() - started
                self.stdout.write(f"  {username:<9} {role:<19} {len(pages)} pages, all 200, {elapsed:.1f} s")
        finally:
            server.terminate()
            _, errors = server.communicate(timeout=20)
        if failures:
            raise CommandError("Smoke check failed:\n  " + "\n  ".join(failures[:50]))
        if b"Traceback" in errors:
            raise CommandError("The server logged a traceback:\n" + errors.decode("utf-8", "replace")[-3000:])
        self.stdout.write(
            self.style.SUCCESS(f"Embedded default OK: every page answered as every role on {base}.")
        )

    def _wait_until_up(self, base: str, server: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"runserver exited with {server.returncode}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise CommandError("runserver did not answer /healthz within 60 seconds")
