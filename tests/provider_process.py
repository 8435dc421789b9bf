"""An identity provider of the sign-in tests in a process of its own (tests/oidc_provider, tests/saml_idp): a
free port, runserver started on it with the provider's settings, waited for until it answers, and stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str, token: str, data: dict[str, Any]) -> None:
    """Post test data to the provider's seeding address (only its seed token may)."""
    response = requests.post(f"{url}/test/seed", json=data, headers={"X-Seed-Token": token}, timeout=10)
    response.raise_for_status()


def _wait_until_up(process: subprocess.Popen[bytes], probe: str, what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped (exit {process.returncode})")
        try:
            if requests.get(probe, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer in time")


@contextmanager
def running(port: int, env: dict[str, str], *, probe: str, what: str) -> Iterator[None]:
    """runserver on 127.0.0.1:`port` with `env` over this process's environment (its settings module among
    them), until `probe` answers 200; stopped on leaving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(process, probe, what)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)
