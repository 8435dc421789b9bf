"""The pages shared_page() keeps are kept per database: tests running in parallel, each on its own database,
share one Redis, and one's start must not drop another's pages."""

from __future__ import annotations

import os

import pytest
from django.core.cache import caches
from django.db import connection

from core import views
from tests.conftest import require_service


@pytest.mark.redis
@pytest.mark.django_db
def test_forgetting_the_shared_pages_of_one_database_keeps_another_databases(monkeypatch):
    require_service(bool(os.environ.get("REDIS_URL")), "Redis (set REDIS_URL)")
    cache = caches["default"]  # Redis, as REDIS_URL is set
    ours = views._pages_prefix() + "dashboard"
    with monkeypatch.context() as patched:
        patched.setitem(connection.settings_dict, "NAME", "another_database")
        theirs = views._pages_prefix() + "dashboard"
    assert ours != theirs
    cache.set(ours, "our page")
    cache.set(theirs, "their page")
    try:
        # when this database's pages are forgotten (as every test starts)
        views.forget_shared_pages()

        # then the other database's page stays
        assert (cache.get(ours), cache.get(theirs)) == (None, "their page")
    finally:
        cache.delete(theirs)
