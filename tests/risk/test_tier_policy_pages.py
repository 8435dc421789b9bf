"""Tier policies are edited in Bearing (the admin only shows them): admins edit, everyone with a role reads."""

from __future__ import annotations

import pytest

from risk.models import TierPolicy
from tests.portfolio.utils import db_rows

pytestmark = pytest.mark.django_db  # the persona fixtures ask for the database only when called


def test_everyone_with_a_role_reads_the_tier_policies_and_only_an_admin_sees_edit(
    client, executive, admin_user
):
    # given
    policy = TierPolicy.objects.get(tier=1)
    edit = f'href="/tiers/{policy.pk}/edit/"'
    # when
    client.force_login(executive)
    as_executive = client.get("/tiers/")
    client.force_login(admin_user)
    as_admin = client.get("/tiers/")
    # then
    assert (as_executive.status_code, as_admin.status_code) == (200, 200)
    assert [p.tier for p, _ in as_executive.context["policies"]] == [1, 2, 3]
    assert edit not in as_executive.content.decode()
    assert edit in as_admin.content.decode()


def test_an_admin_edits_a_tier_policy_through_its_service(client, admin_user):
    # given
    policy = TierPolicy.objects.get(tier=2)
    client.force_login(admin_user)
    # when
    response = client.post(
        f"/tiers/{policy.pk}/edit/",
        {
            "version": policy.version,
            "name": policy.name,
            "description": policy.description,
            "checkpoint_cadence_days": 45,
            "required_artefacts": ["business_case", "security_review"],
        },
    )
    # then: saved with a new version and a history row naming the admin
    assert response.status_code == 302
    assert response["Location"] == "/tiers/"
    stored = TierPolicy.objects.get(pk=policy.pk)
    assert (stored.checkpoint_cadence_days, stored.required_artefacts, stored.version) == (
        45,
        ["business_case", "security_review"],
        policy.version + 1,
    )
    assert stored.history.first().history_user == admin_user


def test_a_stale_tier_policy_edit_is_refused_with_409(client, admin_user):
    # given: someone saved the policy after this form was opened
    policy = TierPolicy.objects.get(tier=3)
    seen = policy.version
    policy.version += 1
    policy.save()
    before = db_rows()
    client.force_login(admin_user)
    # when
    response = client.post(
        f"/tiers/{policy.pk}/edit/",
        {"version": seen, "name": "Light", "checkpoint_cadence_days": 200, "required_artefacts": []},
    )
    # then
    assert response.status_code == 409
    assert db_rows() == before


@pytest.mark.parametrize("persona", ["pmo", "executive"], indirect=True)
def test_only_an_admin_may_edit_a_tier_policy(client, persona):
    # given
    policy = TierPolicy.objects.get(tier=1)
    before = db_rows()
    client.force_login(persona)
    # when
    response = client.post(
        f"/tiers/{policy.pk}/edit/",
        {"version": policy.version, "name": "X", "checkpoint_cadence_days": 30, "required_artefacts": []},
    )
    # then
    assert response.status_code == 403
    assert db_rows() == before
