"""Shared fixtures: one persona per role, plus the service checks that make CI fail instead of skip."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connection

from core import roles
from core.browser import chromium_available, chromium_path
from core.views import forget_shared_pages
from tests.factories import UserFactory
from tests.oidc_provider.fixtures import oidc_provider, oidc_settings  # noqa: F401  (sign-in tests' provider)
from tests.saml_idp.fixtures import saml_idp, saml_settings  # noqa: F401  (SAML sign-in tests' provider)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(available: bool, what: str) -> None:
    """Skip a test whose service is missing, except in CI, where a missing service is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


SERVICE_FIXTURES = {
    "postgres": "postgres",
    "redis_worker": "redis",
    "chromium": "browser",
    "chromium_browser": "browser",
    "page": "browser",
}


def _direct_parameters(item: pytest.Item) -> set[str]:
    """The names a test is parametrized with directly (values, not fixtures): a parameter called "page" is not
    the browser's page."""
    names: set[str] = set()
    for mark in item.iter_markers("parametrize"):
        argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [name.strip() for name in argnames.split(",") if name.strip()]
        indirect = mark.kwargs.get("indirect", False)
        names.update(
            name
            for name in argnames
            if not (indirect is True or (isinstance(indirect, list | tuple) and name in indirect))
        )
    return names


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the services their fixtures need, so a run can deselect them (-m "not postgres")."""
    for item in items:
        needed = set(getattr(item, "fixturenames", ())) - _direct_parameters(item)
        for fixture, marker in SERVICE_FIXTURES.items():
            if fixture in needed:
                item.add_marker(getattr(pytest.mark, marker))


def _flushes(item: pytest.Item) -> bool:
    """Whether a test runs on committed transactions: its teardown empties every table."""
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a test on committed transactions has emptied the tables, put back the rows the migrations
    seeded (policies, the first scoring model, ...), as its serialized rollback does before it runs. The
    tests that follow it in the same process need them: pytest-django runs these tests last, but a scheduler
    that steals work (xdist's worksteal) or a hand-made selection may run others after them."""
    yield
    if nextitem is None or not _flushes(item):
        return  # the last test's teardown has also dropped the test databases
    from django.core.management import call_command
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        for conn in connections.all(initialized_only=True):
            contents = getattr(conn, "_test_serialized_contents", None)
            if contents:
                # emptied again without post_migrate (a flush that ran it made content types anew, under
                # other ids), then filled with exactly what the migrations left
                call_command(
                    "flush", interactive=False, inhibit_post_migrate=True, verbosity=0, database=conn.alias
                )
                conn.creation.deserialize_db_from_string(contents)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The headless browser that prints board packs and drives the browser tests."""
    path = chromium_path()
    require_service(chromium_available(path), f"chromium at {path}")
    return path


@pytest.fixture
def postgres() -> None:
    require_service(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def executive(db):
    return UserFactory(username="exec", first_name="Erin", last_name="Executive", roles=[roles.EXECUTIVE])


@pytest.fixture
def pmo(db):
    return UserFactory(username="pmo", first_name="Pat", last_name="Office", roles=[roles.PMO])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", first_name="Mo", last_name="Manager", roles=[roles.MANAGER])


@pytest.fixture
def other_manager(db):
    return UserFactory(username="manager2", first_name="Max", last_name="Other", roles=[roles.MANAGER])


@pytest.fixture
def steering_member(db):
    return UserFactory(username="steer", first_name="Sam", last_name="Steering", roles=[roles.STEERING])


@pytest.fixture
def admin_user(db):
    return UserFactory(
        username="admin",
        first_name="Ada",
        last_name="Admin",
        roles=[roles.ADMIN],
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def outsider(db):
    """Logged in, but with no Bearing role: sees nothing."""
    return UserFactory(username="outsider", first_name="Olly", last_name="Outsider")


PERSONAS = ["executive", "pmo", "manager", "steering_member", "admin_user", "outsider"]


@pytest.fixture
def persona(request):
    """Parametrise with indirect=True and a persona fixture name."""
    return request.getfixturevalue(request.param)


@pytest.fixture(autouse=True)
def _no_shared_pages() -> None:
    """Every test starts without pages shared between users (core.views.shared_page): a test's clock may give
    two tests the same time stamps."""
    forget_shared_pages()
