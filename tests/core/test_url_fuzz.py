"""The URL fuzz: every route of the URLconf (each app's and the admin's, found by walking the resolver, so a
new route is covered without touching this file), requested as every role with malformed ids, hostile query
strings and form values, wrong methods, with and without htmx, and without a CSRF token, against a data set
where every model has rows. No response may be a server error or show database or stack text, and no unsafe
request without a CSRF token may get through.

How: tests/core/fuzzing.py (routes, crawl, requests, checks), fuzz_plan.py (the deterministic sample of
combinations; BEARING_FUZZ=full for all of them), fuzz_world.py (the data set).
"""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.test import Client

from core import roles
from tests.core import fuzzing as fz
from tests.core.fuzz_plan import ROLES, admin_object_hint, plan
from tests.core.fuzz_world import build_world, empty_models


@pytest.fixture
def people(executive, pmo, manager, steering_member, admin_user, outsider) -> dict[str, Any]:
    return {
        "executive": executive,
        "pmo": pmo,
        "manager": manager,
        "steering_member": steering_member,
        "admin_user": admin_user,
        "outsider": outsider,
    }


def _clients(people: dict[str, Any], *, csrf: bool) -> dict[str, Client]:
    """A client per role (anonymous included), logged in once; `csrf` clients enforce CSRF like a browser."""
    clients = {}
    for role in ROLES:
        client = Client(enforce_csrf_checks=csrf, raise_request_exception=False)
        if role != "anonymous":
            client.force_login(people[role])
        clients[role] = client
    return clients


def _avoid(people: dict[str, Any], admin: bool) -> Any:
    """Pages the crawl does not take as examples: the other part's, and the personas' own accounts (in the admin
    and on the account pages) and the role groups, which the fuzz would otherwise edit until the personas
    lost their roles."""
    users = {str(user.pk) for user in people.values()}
    groups = {str(pk) for pk in Group.objects.filter(name__in=roles.ALL_ROLES).values_list("pk", flat=True)}

    def avoid(path: str) -> bool:
        parts = path.strip("/").split("/")
        if (parts[0] == "admin") != admin:
            return True
        if parts[:2] == ["accounts", "people"] and len(parts) > 2:
            return parts[2] in users
        if parts[:2] == ["admin", "auth"] and len(parts) > 3:
            return parts[3] in {"user": users, "group": groups}.get(parts[2], set())
        return False

    return avoid


# Two halves, so that a parallel run (pytest -n 2) can give each to a worker.
PARTS = ["app", "admin"]


@pytest.mark.django_db
@pytest.mark.parametrize("part", PARTS)
def test_no_route_answers_500_or_shows_database_text_to_any_role(people, time_machine, part) -> None:
    # given: a small but complete data set, a client per role, and a working example of every route of the part
    time_machine.move_to(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC), tick=False)
    world = build_world(people)
    clients = _clients(people, csrf=False)
    csrf_clients = _clients(people, csrf=True)
    assert empty_models() == []
    admin = part == "admin"
    routes = [route for route in fz.walk_routes() if route.admin == admin]
    seeds = [route.path({}) for route in routes if not route.params]
    with fz.quiet_request_logs():
        examples = fz.crawl(clients["admin_user"], routes, seeds=seeds, avoid=_avoid(people, admin))
    # routes no page links to while the data set is as it is: a working example of each
    hints = {
        "admin/(?P<url>.*)$": {"url": "nowhere/"},
        "admin/otp_totp/totpdevice/<int:pk>/qrcode/": {"pk": str(world["totp_device"].pk)},
        "admin:view_on_site": {"content_type_id": str(world["content_type"].pk), "object_id": "1"},
        "core:job-status": {"pk": str(world["job"].pk)},
        # a long list's search box asks it (shown once a filter lists more programs than core.choices.SHOWN)
        "core:choice-options": {"key": "programs"},
        "steering:boardpack-pdf": {"pk": str(world["held"].pk)},
        # linked from the worklist only while an initiative nears go-live without an owner
        "portfolio:initiative-sustainment-owner": {"pk": str(world["initiative"].pk)},
        # linked from a priority objective's page and the dashboard's bars
        "alignment:dashboard-spend": {"pk": str(world["objective"].pk)},
        # the review page offers it while the initiative has a pending scope change
        "steering:review-scope-change": {
            "pk": str(world["agenda_item"].pk),
            "change": str(world["pending_change"].pk),
        },
        # a reset link comes by e-mail: a made-up one (the page says the link is not valid)
        "password_reset_confirm": {"uidb64": "MQ", "token": "abc-123"},
        # an invitation link comes by e-mail: a made-up one (the page says the link does not work)
        "identity:invitation-accept": {"uidb64": "MQ", "token": "abc-123"},
        # a break-glass link is printed by a command: a made-up one (the page says the link does not work)
        "identity:break-glass": {"uidb64": "MQ", "token": "abc-123"},
        # an invited account's actions (the crawl's example account may be another one)
        "identity:account-deactivate": {"pk": str(world["invitee"].pk)},
        "identity:account-reactivate": {"pk": str(world["invitee"].pk)},
        "identity:account-resend": {"pk": str(world["invitee"].pk)},
        "identity:account-sign-out": {"pk": str(world["invitee"].pk)},
        "identity:account-two-factor-off": {"pk": str(world["invitee"].pk)},
        # a leader's personal link comes by e-mail (only its hash is stored): a made-up one
        "surveys:respond": {"token": "not-a-real-token"},
        # the open round's answer page for a leader named with an account (the PMO persona here)
        "surveys:respond-signed-in": {"pk": str(world["survey"]["open"].pk)},
        # a draft round's actions (the crawl's pages show them only on a draft)
        "surveys:question-add": {"pk": str(world["survey"]["draft"].pk)},
        "surveys:question-delete": {"pk": str(world["survey"]["question"].pk)},
        "surveys:question-edit": {"pk": str(world["survey"]["question"].pk)},
        "surveys:question-move": {"pk": str(world["survey"]["question"].pk)},
        # the closed round's agreement trend (linked from its workshop and the program's dashboard)
        "surveys:trend-csv": {"pk": str(world["survey"]["closed"].pk)},
        "surveys:round-open": {"pk": str(world["survey"]["draft"].pk)},
        # an open round's actions
        "surveys:respondent-revoke": {"pk": str(world["survey"]["respondent"].pk)},
        "surveys:round-remind": {"pk": str(world["survey"]["open"].pk)},
        "surveys:round-close": {"pk": str(world["survey"]["open"].pk)},
        "admin/surveys/surveyround/([^/]+)/history/([^/]+)/$": {
            "_0": str(world["survey"]["closed"].pk),
            "_1": str(world["survey"]["history"]),
        },
        # an image of the workshop (an <img>, which the crawl does not follow)
        "surveys:cloud": {"pk": str(world["survey"]["closed"].pk), "kind": "shared"},
        # a token of the PMO's (the crawl signs in as the admin, whose page lists only their own)
        "api:token-revoke": {"pk": str(world["token"].pk)},
        # the REST API's records (no page links to JSON)
        **{
            f"api/v1/{resource}/<id>{tail}": {"id": str(world[key].pk)}
            for resource, key, tail in [
                ("objectives", "objective", ""),
                ("kpis", "kpi", ""),
                ("kpis", "kpi", "/readings"),
                ("programs", "program", ""),
                ("initiatives", "initiative", ""),
                ("initiatives", "initiative", "/score"),
                ("initiatives", "initiative", "/business-case"),
                ("initiatives", "initiative", "/benefit-plans"),
                ("benefit-plans", "benefit_plan", ""),
                ("contributions", "contribution", ""),
                ("milestones", "milestone", ""),
                ("scope-changes", "pending_change", ""),
                ("risks", "risk", ""),
                ("meetings", "meeting", ""),
                ("reviews", "review", ""),
                ("actions", "action", ""),
                ("proposals", "proposal", ""),
                ("proposals", "proposal", "/decision"),
                *[
                    ("planning/scenarios", "scenario", tail)
                    for tail in ("", "/solve", "/frontier", "/result", "/result/decisions", "/approve")
                ],
            ]
        },
        "api/v1/planning/scenarios/<id>/jobs/<job_id>": {
            "id": str(world["scenario"].pk),
            "job_id": str(world["scenario_job"].pk),
        },
        # the initiative page offers it only while the initiative has a next stage and awaits no review
        "planning:proposal-submit": {"pk": str(world["initiative"].pk)},
    }
    missing = []
    for route in routes:
        if any(key == route.key for key, _ in examples):
            continue
        values = hints.get(route.name) or hints.get(route.key) or admin_object_hint(route)
        if values is None:
            missing.append(route.key)
        else:
            examples[(route.key, ())] = fz.Example(route=route, values=values)
    cases, forms = plan(list(examples.values()))

    # when: every planned request is sent (the board pack is printed by a stand-in for chromium)
    with (
        mock.patch("steering.boardpack.print_html", return_value=b"%PDF-1.4 fuzz"),
        mock.patch("surveys.views.print_html", return_value=b"%PDF-1.4 fuzz"),
    ):
        outcome = fz.run(
            cases,
            clients=clients,
            csrf_clients=csrf_clients,
            login=lambda role, client: client.force_login(people[role]),
            forms=forms,
            refresher=clients["admin_user"],
        )

    # then: every route had an example, every route was requested, and no request failed
    print("\n" + outcome.summary(cases))
    requested = {case.route for case in cases}
    # the API names each operation of an address (GET and POST of /api/v1/initiatives): one view answers them
    requested_keys = {r.key for r in routes if (r.name or r.key) in requested}
    assert (missing, [r.key for r in routes if r.key not in requested_keys], outcome.failures) == (
        [],
        [],
        [],
    ), (
        f"routes with no working example (link them from a page the crawl reaches, or add a hint): {missing}\n"
        + outcome.report(cases)
    )


@pytest.mark.parametrize(
    ("status", "body", "headers", "csrf", "expected"),
    [
        (200, "fine", {}, False, None),
        (500, "<h1>Something went wrong on our side</h1>", {}, False, "server error"),
        (
            422,
            "The record could not be saved: duplicate key value",
            {},
            False,
            "the body shows duplicate key",
        ),
        (200, 'File "/srv/app/views.py", line 3', {}, False, 'the body shows File "/'),
        (302, "", {"Location": "/x/?e=psycopg"}, False, "the header Location shows database or stack text"),
        (302, "", {}, True, "an unsafe request without a CSRF token was not refused"),
        (403, "CSRF verification failed", {}, True, None),
    ],
)
def test_the_fuzz_flags_server_errors_leaks_and_csrf_that_got_through(status, body, headers, csrf, expected):
    # given
    response = HttpResponse(body, status=status, headers=headers)
    case = fz.Case(route="r", role="pmo", method="POST", path="/r/", csrf=csrf)

    # when
    why = fz.check(case, response)

    # then
    assert why == expected
