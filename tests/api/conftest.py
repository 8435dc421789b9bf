from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client

from api.tokens import token_create


class Api:
    """A client of /api/v1/ that sends a personal token (or nothing) and reads JSON."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs.update(data=json.dumps(body) if not isinstance(body, str | bytes) else body)
            kwargs["content_type"] = "application/json"
        response = getattr(self.client, method)(f"/api/v1/{path}", **kwargs)
        is_json = response.get("Content-Type", "").startswith("application/json") and response.content
        response.data = response.json() if is_json else None
        return response

    def get(self, path: str, **headers: str) -> Any:
        return self.call("get", path, **headers)

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("post", path, body, **headers)

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("patch", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.call("delete", path, **headers)


def api_as(user: Any, scope: str = "write") -> Api:
    _token, raw = token_create(user=user, name="tests", scope=scope, expires_in_days=None)
    return Api(raw)


@pytest.fixture
def today(time_machine) -> datetime.date:
    """The clock of every API test: 2026-11-21, 09:00 UTC."""
    time_machine.move_to(datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC), tick=False)
    return datetime.date(2026, 11, 21)
