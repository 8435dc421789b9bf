"""The OpenID Connect configuration: the role rule (BEARING_OIDC_ROLE_MAP) and the settings that stop the
server at start-up with a plain message when they cannot work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import roles
from identity.role_map import RoleMapError, parse_role_map, roles_from_groups

ROOT = Path(__file__).resolve().parents[2]


def test_a_role_rule_names_one_group_or_several():
    rule = parse_role_map('{"pmo": "portfolio-office", "Executive": ["exec-team", "cio-office"]}')
    assert rule == {roles.PMO: ("portfolio-office",), roles.EXECUTIVE: ("exec-team", "cio-office")}


def test_no_rule_is_an_empty_one():
    assert parse_role_map("  ") == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("pmo=portfolio-office", "is not JSON (Expecting value at character 0)"),
        ('["pmo"]', 'must be a JSON object, e.g. {"pmo": ["portfolio-office"]}'),
        ('{"cfo": ["finance"]}', "names an unknown role 'cfo'; use executive, pmo, manager, steering, admin"),
        ('{"pmo": []}', "gives role 'pmo' no group: use a group name or a list of group names"),
        ('{"pmo": ["ok", 3]}', "gives role 'pmo' no group: use a group name or a list of group names"),
    ],
)
def test_a_wrong_rule_is_refused_with_a_plain_message(raw, message):
    with pytest.raises(RoleMapError) as refused:
        parse_role_map(raw)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (["cio-office", "canteen"], {roles.EXECUTIVE}),
        ("portfolio-office", {roles.PMO}),
        (["canteen"], set()),
        (None, set()),
        ({"portfolio-office": True}, set()),
    ],
)
def test_roles_come_from_the_groups_the_rule_names(groups, expected):
    rule = {roles.PMO: ("portfolio-office",), roles.EXECUTIVE: ("exec-team", "cio-office")}
    assert roles_from_groups(rule, groups) == expected


def start_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BEARING_OIDC", "BEARING_SAML", "BEARING_LOCAL"))
    }
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {
                "BEARING_OIDC_ISSUER": "https://login.example.org",
                "BEARING_OIDC_CLIENT_ID": "bearing",
                "BEARING_OIDC_CLIENT_SECRET": "s",
                "BEARING_OIDC_ROLE_MAP": '{"boss": "x"}',
            },
            "BEARING_OIDC_ROLE_MAP names an unknown role 'boss'",
        ),
        (
            {"BEARING_OIDC_ISSUER": "https://login.example.org"},
            "BEARING_OIDC_ISSUER needs BEARING_OIDC_CLIENT_ID and BEARING_OIDC_CLIENT_SECRET",
        ),
        ({"BEARING_LOCAL_PASSWORDS": "false"}, "BEARING_LOCAL_PASSWORDS=false needs OpenID Connect sign-in"),
    ],
)
def test_a_configuration_that_cannot_work_stops_the_start(env, message):
    started = start_settings(**env)
    assert started.returncode != 0
    assert message in started.stderr
