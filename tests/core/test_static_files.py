"""The JavaScript the dashboard loads: Bearing's partial Plotly bundle, at most 1.5 MB and evaluating no strings;
and, with the manifest storage of production and `make demo`, static files under hashed names that whitenoise
serves to be cached for good."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from steering.boardpack import ASSETS
from tests.core.test_deploy_settings import PRODUCTION, ROOT, settings_values

BUNDLE = "vendor/plotly/plotly-bearing.min.js"
MAX_BUNDLE_BYTES = 1_500_000
PLOTLY_SRC = re.compile(r'data-plotly-src="([^"]+)"')
IMMUTABLE = "max-age=315360000, public, immutable"


@pytest.mark.django_db
def test_the_dashboard_and_the_board_pack_load_the_partial_plotly_bundle(client, executive):
    # given
    client.force_login(executive)
    # when
    html = client.get("/dashboard/").content.decode()
    # then
    assert PLOTLY_SRC.findall(html) == [f"/static/{BUNDLE}"]
    assert ASSETS["plotly"] == BUNDLE


def test_the_plotly_bundle_is_at_most_1_5_mb_and_evaluates_no_string():
    # given
    found = finders.find(BUNDLE)
    assert found, BUNDLE
    bundle = Path(str(found))
    # when
    size = bundle.stat().st_size
    code = bundle.read_text(encoding="utf-8")
    # then
    assert size <= MAX_BUNDLE_BYTES, f"{BUNDLE} is {size:,} bytes"
    # (that its WebGL traces draw under the policy is tested in the browser: tests/browser/test_csp.py)
    assert ("new Function(" in code, "eval(" in code) == (False, False)
    assert sorted(p.name for p in bundle.parent.glob("*.js")) == ["plotly-bearing.min.js"]


def test_production_settings_serve_collected_files_under_hashed_names():
    # when
    values = settings_values(PRODUCTION, "STORAGES['staticfiles']['BACKEND']", "WHITENOISE_USE_FINDERS")
    # then
    assert values.stdout.strip() == "('whitenoise.storage.CompressedManifestStaticFilesStorage', False)", (
        values.stderr
    )


@pytest.mark.django_db
def test_with_the_manifest_storage_the_dashboard_links_hashed_files_served_immutable(
    client, executive, settings, tmp_path
):
    # given: the static files collected as production and `make demo` collect them
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", interactive=False, verbosity=0)
    client.force_login(executive)
    # when
    [src] = PLOTLY_SRC.findall(client.get("/dashboard/").content.decode())
    bundle = client.get(src)
    # then
    assert re.fullmatch(r"/static/vendor/plotly/plotly-bearing\.min\.[0-9a-f]{12}\.js", src), src
    assert (bundle.status_code, bundle["Cache-Control"]) == (200, IMMUTABLE)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_collects_the_static_files_and_serves_with_debug_off():
    # when: the commands `make demo` would run
    result = subprocess.run(
        ["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    commands = [line for line in result.stdout.splitlines() if "manage.py" in line]
    # then
    assert [line.split("manage.py ")[1].split()[:2] for line in commands] == [
        ["migrate", "--noinput"],
        ["seed_demo"],
        ["collectstatic", "--noinput"],
        ["runserver", commands[-1].split()[-1]],
    ]
    assert all("DJANGO_DEBUG=${DJANGO_DEBUG:-false}" in line for line in commands), commands
