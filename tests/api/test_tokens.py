"""Personal API tokens: created and shown once, stored as a hash, read-only or read-write, expiring, revocable,
and refused for a deactivated account or one without a role."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from api.models import ApiToken
from api.tokens import token_create, token_revoke
from core.errors import ApplicationError
from portfolio.models import Initiative
from tests.api.conftest import Api, api_as
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.usefixtures("today")


def test_a_token_is_stored_only_as_its_hash(pmo):
    token, raw = token_create(user=pmo, name="Power BI", scope="read", expires_in_days=30)
    assert raw.startswith(f"brg_{token.prefix}_")
    assert len(raw) == 4 + 8 + 1 + 43
    stored = ApiToken.objects.get()
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.name, stored.prefix, stored.digest}
    assert stored.expires_at == datetime.datetime(2026, 12, 21, 9, 0, tzinfo=datetime.UTC)


def test_a_token_reads_as_its_user_and_stamps_its_use(executive):
    InitiativeFactory(code="ECOM-1")
    token, raw = token_create(user=executive, name="report", scope="read", expires_in_days=None)
    response = Api(raw).get("initiatives")
    assert response.status_code == 200
    assert [row["code"] for row in response.data["items"]] == ["ECOM-1"]
    token.refresh_from_db()
    assert token.last_used_at == datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC)


def test_a_read_only_token_may_not_write(pmo):
    response = api_as(pmo, "read").post("initiatives", {"code": "NEW-1", "title": "New"})
    assert response.status_code == 403
    assert response.data["error"]["message"] == (
        "This token is read-only: create a read-and-write token to change data."
    )
    assert not Initiative.objects.exists()


@pytest.mark.parametrize("header", ["Bearer brg_nothing_here", "Bearer ", "Basic abc", "Bearer " + "x" * 300])
def test_an_unknown_token_is_refused(header, db):
    response = Api(None).get("initiatives", Authorization=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="bearing"'
    assert response.data["error"]["code"] == "not_authenticated"


def test_an_expired_token_is_refused(pmo, time_machine):
    _token, raw = token_create(user=pmo, name="short", scope="read", expires_in_days=1)
    assert Api(raw).get("initiatives").status_code == 200
    time_machine.move_to(datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC), tick=False)
    assert Api(raw).get("initiatives").status_code == 401


def test_a_revoked_token_is_refused(pmo):
    token, raw = token_create(user=pmo, name="old", scope="write", expires_in_days=None)
    token_revoke(user=pmo, token_id=token.pk)
    assert Api(raw).get("initiatives").status_code == 401


def test_a_deactivated_users_token_is_refused(pmo):
    _token, raw = token_create(user=pmo, name="script", scope="write", expires_in_days=None)
    pmo.is_active = False
    pmo.save()
    assert Api(raw).get("initiatives").status_code == 401


def test_a_user_without_a_role_gets_no_token_and_no_data(outsider, pmo):
    with pytest.raises(ApplicationError):
        token_create(user=outsider, name="x", scope="read", expires_in_days=None)
    _token, raw = token_create(user=pmo, name="x", scope="read", expires_in_days=None)
    pmo.groups.clear()
    response = Api(raw).get("initiatives")
    assert response.status_code == 403
    assert (
        response.data["error"]["message"]
        == "Your account holds no Bearing role; ask an administrator for one."
    )


def test_nobody_revokes_someone_elses_token(pmo, executive):
    token, raw = token_create(user=pmo, name="mine", scope="read", expires_in_days=None)
    with pytest.raises(ApplicationError, match="There is no such token of yours."):
        token_revoke(user=executive, token_id=token.pk)
    assert Api(raw).get("initiatives").status_code == 200


def test_bad_token_requests_are_refused_at_their_fields(pmo):
    with pytest.raises(ApplicationError) as refused:
        token_create(user=pmo, name="  ", scope="admin", expires_in_days=0)
    assert refused.value.field_errors == {
        "name": ["Say what the token is for."],
        "scope": ["Read only or read and write."],
        "expires_in_days": ["Between 1 and 3,660 days, or never."],
    }
    assert not ApiToken.objects.exists()


def test_the_tokens_page_shows_a_new_token_once_and_revokes_it(client, pmo):
    client.force_login(pmo)
    page = client.get("/api/tokens/")
    assert page.status_code == 200
    assert b"You have no API tokens yet." in page.content
    created = client.post("/api/tokens/", {"name": "Power BI <refresh>", "scope": "read", "expires": "90"})
    assert created.status_code == 201
    token = ApiToken.objects.get()
    raw = created.context["created"]
    assert raw.startswith(f"brg_{token.prefix}_")
    assert raw.encode() in created.content
    assert b"Power BI &lt;refresh&gt;" in created.content
    assert raw.encode() not in client.get("/api/tokens/").content
    revoked = client.post(f"/api/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at == datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC)
    assert Api(raw).get("initiatives").status_code == 401


def test_the_tokens_page_refuses_a_blank_name(client, pmo):
    client.force_login(pmo)
    response = client.post("/api/tokens/", {"name": "", "scope": "read", "expires": ""})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_the_tokens_page_needs_a_role(client, outsider):
    client.force_login(outsider)
    assert client.get("/api/tokens/").status_code == 403
    assert client.post("/api/tokens/", {"name": "x", "scope": "read"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_each_user_sees_only_their_own_tokens(client, pmo, executive):
    token_create(user=executive, name="Executive's report", scope="read", expires_in_days=None)
    client.force_login(pmo)
    assert b"Executive&#x27;s report" not in client.get("/api/tokens/").content
