"""Benchmark of throughput under load: the stored dashboard served by gunicorn, measured with wrk next to
/healthz (the floor) in the same run, on a portfolio of the given size."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from alignment import services
from core import roles
from demo.bench import analyze, bench_database, logged_in_client
from demo.scale import build_scale, clear_portfolio

# The stored dashboard must serve at least this share of /healthz's requests per second.
SHARE_OF_FLOOR = 0.40
REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([\d.]+)")
LATENCY = re.compile(r"Latency\s+([\d.]+)(us|ms|s)")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


@dataclass(frozen=True)
class Load:
    label: str
    rps: float
    latency_ms: float
    errors: int


def parse_wrk(label: str, output: str) -> Load:
    """Requests per second, mean latency (ms) and non-2xx answers from wrk's report."""
    rps = REQUESTS_PER_SECOND.search(output)
    latency = LATENCY.search(output)
    if rps is None or latency is None:
        raise CommandError(f"wrk said nothing measurable for {label}:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[latency.group(2)]
    errors = NON_2XX.search(output)
    return Load(
        label, float(rps.group(1)), float(latency.group(1)) * scale, int(errors.group(1)) if errors else 0
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Command(BaseCommand):
    help = (
        "Serve a portfolio of each size with gunicorn and load the stored dashboard and /healthz with wrk, in "
        "turn; fails if the dashboard serves less than 40% of /healthz's requests per second. PostgreSQL only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="10000", help="Comma-separated initiative counts.")
        parser.add_argument("--seconds", type=int, default=10, help="Duration of each wrk run.")
        parser.add_argument("--connections", type=int, default=8, help="wrk connections.")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError("wrk is not installed (Debian: apt-get install wrk).")
        if connection.vendor != "postgresql":
            raise CommandError("Throughput is measured on PostgreSQL: set DATABASE_URL.")
        failures: list[str] = []
        with bench_database() as vendor:
            self.stdout.write(
                f"Database: {vendor}; gunicorn with {options['workers']} workers; wrk {options['seconds']} s, "
                f"{options['connections']} connections per page."
            )
            for size in [int(s) for s in options["sizes"].split(",") if s.strip()]:
                today = timezone.localdate()
                clear_portfolio()
                build_scale(initiatives=size, seed=1, as_of=today)
                services.recompute(today=today)
                services.render_dashboards(today=today)
                analyze()
                user = User.objects.create_user(f"bench-load-{size}", password="unused")
                user.groups.add(Group.objects.get_or_create(name=roles.EXECUTIVE)[0])
                cookie = logged_in_client(user).cookies[settings.SESSION_COOKIE_NAME].value
                loads = self._measure(wrk, cookie, options)
                floor, dashboard = loads
                share = dashboard.rps / floor.rps if floor.rps else 0.0
                self.stdout.write(f"\n{size:,} initiatives:")
                self.stdout.write(f"  {'page':<28} {'req/s':>10} {'mean latency ms':>16} {'non-2xx':>8}")
                for load in loads:
                    self.stdout.write(
                        f"  {load.label:<28} {load.rps:10.0f} {load.latency_ms:16.1f} {load.errors:8d}"
                    )
                self.stdout.write(
                    f"  dashboard / healthz: {share:.0%} (budget at least {SHARE_OF_FLOOR:.0%})"
                )
                if dashboard.errors or floor.errors:
                    failures.append(f"at {size:,}: non-2xx answers under load")
                if share < SHARE_OF_FLOOR:
                    failures.append(f"at {size:,}: the dashboard served {share:.0%} of /healthz's requests/s")
        if failures:
            raise CommandError("Budget missed:\n  " + "\n  ".join(failures))
        self.stdout.write(self.style.SUCCESS("The stored dashboard keeps up under load."))

    def _measure(self, wrk: str, cookie: str, options: dict[str, Any]) -> tuple[Load, Load]:
        db = connection.settings_dict
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_STATIC_MANIFEST": "false",
            "BEARING_IN_PROCESS_SCHEDULE": "false",
        }
        env.pop("REDIS_URL", None)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                f"--bind=127.0.0.1:{port}",
                f"--workers={options['workers']}",
                "--log-level=warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise CommandError("gunicorn did not start") from None
                    time.sleep(0.5)
            header = f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}"
            # the session must hold: a redirect to the login page would count as an answer under load
            check = urllib.request.Request(f"{base}/dashboard/", headers={"Cookie": header.split(": ", 1)[1]})
            with urllib.request.urlopen(check, timeout=30) as answer:
                body = answer.read()
                if answer.status != 200 or b'id="tiles"' not in body or answer.url != check.full_url:
                    raise CommandError(f"the dashboard did not answer as the bench user ({answer.url})")
            self.stdout.write(f"  (the dashboard page is {len(body):,} bytes)")
            results = []
            for label, path in (("floor: /healthz", "/healthz"), ("dashboard: stored", "/dashboard/")):
                load = [wrk, "-t2", f"-c{options['connections']}", "-H", header]
                subprocess.run([*load, "-d2s", base + path], capture_output=True, check=False)  # warm-up
                done = subprocess.run(
                    [*load, f"-d{options['seconds']}s", base + path],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                results.append(parse_wrk(label, done.stdout))
            return results[0], results[1]
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
