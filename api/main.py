"""The REST API, /api/v1/: its routers, who may call it, its one error shape, its schema and documentation."""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from api import errors
from api.auth import RoleSessionAuth, TokenAuth
from api.routers import (
    benefits,
    capacity,
    engine,
    intake,
    notifications,
    portfolio,
    priorities,
    scenarios,
    steering,
)

DESCRIPTION = """Bearing's data and what its engine computed, for scripts, reports and other systems.

* **Authentication**: a personal API token (`Authorization: Bearer brg_…`, created on the *API tokens* page),
  or the browser's session (writes then need the `X-CSRFToken` header). Every role may read; writes follow
  the same rules as the pages (PMO for the portfolio, an initiative's manager for its own, steering members
  for decisions). A read-only token may not write.
* **Lists** are read a page at a time in id order: pass the page's `next_cursor` as `cursor` for the next one
  (`limit` up to 200). Filters are the pages' own.
* **Writes** are validated as the pages' forms validate. A change says which version it changes:
  `If-Match: "<version>"` (the `ETag` of a read; 412 when stale) or `version` in the body (409 when stale).
* **Errors** all have one shape: `{"error": {"status", "code", "message", "fields"}}`.
"""

api = NinjaAPI(
    title="Bearing API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), RoleSessionAuth()],
    openapi_url="/schema/",
    docs_url="/docs/",
    docs=Swagger(settings={"persistAuthorization": False, "defaultModelsExpandDepth": 0}),
)
errors.install(api)
api.add_router("", portfolio.router)
api.add_router("", engine.router)
api.add_router("", steering.router)
api.add_router("", scenarios.router)
api.add_router("", priorities.router)
api.add_router("", intake.router)
api.add_router("", notifications.router)
api.add_router("", capacity.router)
api.add_router("", benefits.router)
