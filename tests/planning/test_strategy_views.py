"""The strategy version pages: everyone with a role reads them, only the PMO and admins change them (a refused
request changes nothing), a planning round runs through them from draft to published."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from planning import services
from planning.models import PairwiseComparison, StrategyVersion, VersionStatus
from portfolio.models import Objective, Strength
from tests.conftest import PERSONAS
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory

READERS = [p for p in PERSONAS if p != "outsider"]
NOT_EDITORS = [p for p in PERSONAS if p not in ("pmo", "admin_user")]


@pytest.fixture
def draft(pmo):
    a = ObjectiveFactory(code="A", title="Grow <b>online</b>")
    b = ObjectiveFactory(code="B", title="Run stores")
    ContributionFactory(initiative=InitiativeFactory(code="X-1"), objective=a, strength=Strength.STRONG)
    ContributionFactory(initiative=InitiativeFactory(code="Y-1"), objective=b, strength=Strength.STRONG)
    return services.strategy_draft(user=pmo, title="Refresh <script>alert(1)</script>")


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_of(version: StrategyVersion, **changes: str) -> dict[str, str]:
    data = {"version": str(version.version)}
    for item in version.weights.select_related("objective"):
        data[f"weight-{item.pk}"] = changes.get(item.code, str(item.local_weight))
        data[f"status-{item.pk}"] = item.status
    return data


@pytest.mark.parametrize("persona", READERS, indirect=True)
def test_everyone_with_a_role_reads_the_pages(persona, draft):
    client = browser(persona)
    for url in (
        "/planning/strategy/",
        f"/planning/strategy/{draft.pk}/",
        f"/planning/strategy/{draft.pk}/pairwise/themes/",
        f"/planning/strategy/{draft.pk}/what-if/initiatives/",
        f"/planning/strategy/{draft.pk}/what-if/initiatives.csv",
        f"/planning/strategy/compare/?a={draft.pk}&b={draft.pk}",
    ):
        assert client.get(url).status_code == 200, url


def test_an_account_without_a_role_reads_nothing(outsider, draft):
    assert browser(outsider).get(f"/planning/strategy/{draft.pk}/").status_code == 403


def test_what_users_typed_is_escaped(executive, draft):
    page = browser(executive).get(f"/planning/strategy/{draft.pk}/").content.decode()
    assert "Refresh &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "Grow &lt;b&gt;online&lt;/b&gt;" in page


@pytest.mark.parametrize("persona", NOT_EDITORS, indirect=True)
def test_a_refused_change_changes_nothing(persona, draft):
    client = browser(persona)
    before = list(draft.weights.order_by("pk").values_list("local_weight", "status"))
    answers = [
        client.post("/planning/strategy/", {"title": "Mine"}),
        client.post(f"/planning/strategy/{draft.pk}/", form_of(draft, A="5")),
        client.post(f"/planning/strategy/{draft.pk}/publish/", {"version": draft.version}),
        client.post(f"/planning/strategy/{draft.pk}/discard/", {"version": draft.version}),
        client.post(
            f"/planning/strategy/{draft.pk}/propose/",
            {"new-version": draft.version, "new-code": "N", "new-title": "New", "new-weight": "1"},
        ),
    ]
    assert [answer.status_code for answer in answers] == [403] * 5
    assert StrategyVersion.objects.count() == 1
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert list(draft.weights.order_by("pk").values_list("local_weight", "status")) == before
    assert Objective.objects.filter(code="N").count() == 0


def test_a_bad_weight_is_shown_at_its_field(pmo, draft):
    answer = browser(pmo).post(f"/planning/strategy/{draft.pk}/", form_of(draft, A="lots"))
    assert answer.status_code == 422
    page = answer.content.decode()
    a = draft.weights.get(objective__code="A")
    assert f'name="weight-{a.pk}" value="lots"' in page
    assert "Enter a number, e.g. 2 or 0.5." in page
    assert draft.weights.get(objective__code="A").local_weight == Decimal("1.00")


def test_a_planning_round_through_the_pages(pmo, draft):
    client = browser(pmo)
    url = f"/planning/strategy/{draft.pk}/"
    # the PMO triples A's weight
    assert client.post(url, form_of(draft, A="3")).status_code == 302
    draft.refresh_from_db()
    # runs the what-if (in-process here) and reads it
    assert client.post(url + "what-if/").status_code == 302
    page = client.get(url).content.decode()
    assert "0 gain" in page
    assert "1 lose" in page
    download: Any = client.get(url + "what-if/initiatives.csv")
    csv = b"".join(download.streaming_content).decode()
    assert csv.splitlines()[1].startswith("Y-1,")
    # compares the themes pairwise: A 3 times B, previewed then applied
    a, b = (draft.weights.get(objective__code=code) for code in ("A", "B"))
    pairwise = url + "pairwise/themes/"
    preview = client.post(pairwise, {"version": draft.version, f"pair-{a.pk}-{b.pk}": "3", "preview": "1"})
    assert "consistency ratio 0.000" in preview.content.decode()
    applied = client.post(pairwise, {"version": draft.version, f"pair-{a.pk}-{b.pk}": "3", "apply": "1"})
    assert applied.status_code == 302
    assert PairwiseComparison.objects.get(strategy=draft).judgements == {f"{a.pk}:{b.pk}": "3"}
    assert [w.local_weight for w in (a, b) if not w.refresh_from_db()] == [Decimal("75.00"), Decimal("25.00")]
    # publishes
    draft.refresh_from_db()
    assert client.post(url + "publish/", {"version": draft.version}).status_code == 302
    assert list(Objective.objects.order_by("code").values_list("local_weight", flat=True)) == [
        Decimal("75.00"),
        Decimal("25.00"),
    ]
    assert StrategyVersion.objects.get(pk=draft.pk).status == VersionStatus.PUBLISHED


def test_publishing_a_stale_page_is_refused(pmo, draft):
    client = browser(pmo)
    stale = draft.version
    client.post(f"/planning/strategy/{draft.pk}/", form_of(draft, A="3"))
    answer = client.post(f"/planning/strategy/{draft.pk}/publish/", {"version": stale}, follow=True)
    assert "Someone changed this draft since you opened it" in answer.content.decode()
    assert StrategyVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


@pytest.mark.parametrize("query", ["a=x&b=1", "a=99999999999&b=1", "a=1"])
def test_a_bad_comparison_is_refused_plainly(executive, draft, query):
    answer = browser(executive).get(f"/planning/strategy/compare/?{query}")
    assert answer.status_code in (400, 404)


def test_an_objective_added_after_the_draft_is_shown_as_it_stands(pmo, draft):
    # given an objective created directly after the draft was made
    ObjectiveFactory(code="C", title="Comply", local_weight=Decimal("2"))

    # when the draft is opened
    page = browser(pmo).get(f"/planning/strategy/{draft.pk}/").content.decode()

    # then it is listed, not editable, kept as it stands
    assert "Comply" in page
    assert "Added after this draft was made: it keeps its weight and status." in page
    assert page.count('name="weight-') == 2


def test_a_weight_of_an_entry_that_does_not_exist_is_refused_at_its_field(pmo, draft):
    data = {**form_of(draft), "weight-99999999999999999999": "2", "weight-999999": "2"}
    answer = browser(pmo).post(f"/planning/strategy/{draft.pk}/", data)
    assert answer.status_code == 422
    assert "Nothing was saved: correct the weights marked." in answer.content.decode()
    assert draft.weights.filter(local_weight=Decimal("2")).count() == 0
