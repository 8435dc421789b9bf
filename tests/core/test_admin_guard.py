"""The admin answers malformed ids and an empty `_to_field` with 404 or the page, never a server error."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from core.admin_site import BearingAdminSite
from portfolio.models import Program
from steering.models import Committee
from tests.factories import CommitteeFactory, ProgramFactory

MODELS = sorted(f"{model._meta.app_label}/{model._meta.model_name}" for model in admin.site._registry)
BAD_IDS = ["abc", "1.5", "%00", "..%2F..%2Fetc", "é", "x" * 3000]


@pytest.fixture
def admin_client_(admin_user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def test_the_admin_site_is_the_guarded_one():
    assert isinstance(admin.site, BearingAdminSite)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("bad", BAD_IDS[:3])
def test_a_malformed_id_in_any_admin_history_page_is_not_found(admin_client_, model, bad):
    # when
    responses = [
        admin_client_.get(f"/admin/{model}/{bad}/history/"),
        admin_client_.post(f"/admin/{model}/{bad}/history/"),
    ]

    # then
    assert [r.status_code for r in responses] == [404, 404]


@pytest.mark.parametrize("bad", [bad for bad in BAD_IDS if "%2F" not in bad])  # a slash routes elsewhere
def test_a_malformed_id_in_the_history_record_page_is_not_found(admin_client_, bad):
    # given
    program = ProgramFactory(name="Digital commerce")
    record = Program.history.get(id=program.pk).history_id

    # when
    statuses = [
        admin_client_.get(f"/admin/portfolio/program/{bad}/history/{record}/").status_code,
        admin_client_.get(f"/admin/portfolio/program/{program.pk}/history/{bad}/").status_code,
        admin_client_.post(f"/admin/portfolio/program/{program.pk}/history/{bad}/").status_code,
        admin_client_.get(f"/admin/portfolio/program/{program.pk}/history/{record}/").status_code,
    ]

    # then
    assert statuses == [404, 404, 404, 200]


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_an_empty_to_field_is_no_to_field(admin_client_, admin_user, page):
    # given a committee (edited in the admin; entered records are view-only there, their delete page 403)
    committee = CommitteeFactory(name="Portfolio board")

    # when
    ours = admin_client_.get(f"/admin/steering/committee/{committee.pk}/{page}/", {"_to_field": ""})
    theirs = admin_client_.get(f"/admin/auth/user/{admin_user.pk}/{page}/", {"_to_field": ""})

    # then
    assert (ours.status_code, theirs.status_code) == (200, 200)


def test_an_empty_to_field_in_a_post_is_no_to_field(admin_client_):
    # given a committee (edited in the admin: entered records are view-only there)
    committee = CommitteeFactory(name="Portfolio board")

    # when
    response = admin_client_.post(f"/admin/steering/committee/{committee.pk}/delete/", {"_to_field": ""})

    # then: the confirmation page, nothing deleted
    assert response.status_code == 200
    assert Committee.objects.filter(pk=committee.pk).exists()


def test_a_valid_history_page_still_shows(admin_client_):
    # given
    program = ProgramFactory(name="Digital commerce")

    # when
    response = admin_client_.get(f"/admin/portfolio/program/{program.pk}/history/")

    # then
    assert response.status_code == 200
    assert "Digital commerce" in response.content.decode()


def test_a_popup_flag_posted_to_the_history_record_page_is_ignored(admin_client_):
    # given a committee's history record (committees are edited in the admin)
    committee = CommitteeFactory(name="Portfolio board")
    record = Committee.history.get(id=committee.pk).history_id  # type: ignore[attr-defined]

    # when
    response = admin_client_.post(
        f"/admin/steering/committee/{committee.pk}/history/{record}/",
        {"name": "Portfolio board", "_popup": "1"},
    )

    # then
    assert (response.status_code, response["Location"]) == (302, "/admin/steering/committee/")


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "twenty", "12345"])
def test_a_date_drill_down_that_is_no_date_is_a_bad_request(admin_client_, value):
    # when
    answer = admin_client_.get(f"/admin/axes/accessfailurelog/?attempt_time__year={value}")
    # then
    assert answer.status_code == 400


def test_a_real_date_drill_down_still_shows(admin_client_):
    # when
    answer = admin_client_.get("/admin/axes/accessfailurelog/?attempt_time__year=2026&attempt_time__month=3")
    # then
    assert answer.status_code == 200
