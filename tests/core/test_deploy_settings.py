"""Production settings from the environment: HTTPS, HSTS, the Content-Security-Policy, and
`manage.py check --deploy` without a warning under the settings the README documents."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The production settings of the README's configuration table, as its deployment section lists them.
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x7Qm2pL9vR4tY8wK1zN6bH3jF5dS0aG7cV2xE9uI4oP1lM8nB6qW3rT5yU0iO2pA",
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "bearing.example.com,127.0.0.1",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://bearing.example.com",
    "DJANGO_SECURE_COOKIES": "true",
    "DJANGO_BEHIND_PROXY": "true",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
    "BEARING_BASE_URL": "https://bearing.example.com",
}


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BEARING_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "sqlite://:memory:",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_values(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    values = ", ".join(f"settings.{name}" for name in names)
    code = f"from django.conf import settings; print(repr(({values},)))"
    return run_django(env, "shell", "--no-imports", "-c", code)


def test_the_readme_documents_every_production_setting_used_here():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- production-settings -->")[1]
    documented = dict(re.findall(r"^(DJANGO_\w+|BEARING_\w+)=(\S*)", block, flags=re.M))
    assert {k: v for k, v in documented.items() if k != "DJANGO_SECRET_KEY"} == {
        k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"
    }


def test_check_deploy_with_the_production_settings_gives_no_warning():
    # when
    result = run_django(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_with_the_defaults_warns_about_https():
    # given: only a secret key, as a careless production start would have
    result = run_django({"DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"]}, "check", "--deploy")
    # then
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DJANGO_SECURE_HSTS_SECONDS", "a year", "DJANGO_SECURE_HSTS_SECONDS='a year' is not an integer"),
        ("DJANGO_SECURE_HSTS_SECONDS", "-1", "DJANGO_SECURE_HSTS_SECONDS='-1' must be at least 0"),
        ("DJANGO_SECURE_SSL_REDIRECT", "sure", "DJANGO_SECURE_SSL_REDIRECT='sure' is not a boolean"),
        ("DJANGO_SECURE_HSTS_PRELOAD", "true", "need DJANGO_SECURE_HSTS_SECONDS"),
        ("DJANGO_PROXY_COUNT", "0", "DJANGO_PROXY_COUNT='0' must be at least 1"),
        ("BEARING_LOGIN_FAILURE_LIMIT", "many", "BEARING_LOGIN_FAILURE_LIMIT='many' is not an integer"),
    ],
)
def test_a_bad_security_setting_stops_bearing_with_a_message(name, value, message):
    # when
    result = run_django({"DJANGO_DEBUG": "true", name: value}, "check")
    # then
    assert result.returncode != 0
    assert message in result.stderr


def test_hsts_and_https_redirect_come_from_the_environment():
    # when
    values = settings_values(
        PRODUCTION,
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    )
    defaults = settings_values({"DJANGO_DEBUG": "true"}, "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT")
    # then
    assert values.stdout.strip() == "(31536000, True, True, True, True, True)", values.stderr
    assert defaults.stdout.strip() == "(0, False)", defaults.stderr


def test_report_only_mode_sends_the_same_policy_without_enforcing_it():
    # when
    result = run_django(
        {"DJANGO_DEBUG": "true", "DJANGO_CSP_REPORT_ONLY": "true", "DJANGO_CSP_REPORT_URI": "/csp-reports/"},
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; "
        "print(hasattr(settings, 'CONTENT_SECURITY_POLICY'), "
        "settings.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['report-uri'])",
    )
    # then
    assert result.stdout.strip() == "False ['/csp-reports/']", result.stderr


@pytest.mark.django_db
def test_every_page_carries_the_policy_and_the_other_security_headers(client, executive):
    # given
    client.force_login(executive)
    # when
    response = client.get("/risks/")
    # then
    assert sorted(response["Content-Security-Policy"].split("; ")) == [
        "base-uri 'none'",
        "connect-src 'self'",
        "default-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
    ]
    assert (response["X-Frame-Options"], response["X-Content-Type-Options"]) == ("DENY", "nosniff")


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https(client, settings):
    # given: the container's health check calls it over plain HTTP
    settings.SECURE_SSL_REDIRECT = True
    # when
    health = client.get("/healthz")
    login = client.get("/accounts/login/")
    # then
    assert health.status_code == 200
    assert (login.status_code, login["Location"]) == (301, "https://testserver/accounts/login/")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=\s*[\"']", re.I)
HTMX_EVAL = re.compile(r"\bhx-on|\bhx-vars|\bjs:|javascript:", re.I)


def test_no_template_has_an_inline_script_event_handler_or_htmx_eval():
    # given
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, HTMX_EVAL, re.compile(r"<style\b", re.I)):
            offenders += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    # then
    assert offenders == []
