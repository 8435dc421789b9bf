"""The board pack's benefits: for each live initiative on the agenda (its post-implementation review), its
plans realised to date against expected, the variance, the forecast and the quarters lacking an actual; and
the portfolio's money benefits summed (alignment.benefits). The worked example of docs/benefits.md, typed
text escaped, and a fixed number of queries whatever the plans."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.stages import Stage
from portfolio.models import Initiative
from steering import boardpack
from steering.models import AgendaItem, SteeringMeeting
from tests.benefit_support import EXAMPLE_NOW, plan, worked_example
from tests.factories import InitiativeFactory, KPIFactory

pytestmark = pytest.mark.django_db

FORMULA = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"


def words(markup: str) -> str:
    """What a reader sees of some HTML: its text, entities undone, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture
def pack(time_machine, committee) -> SteeringMeeting:
    """A meeting on 15 January 2027 (the pack is drawn on 10 January): ECOM-1 (live) to review, CRM-2 (live)
    for noting, and an initiative in delivery whose plan is not a post-implementation review's."""
    time_machine.move_to(EXAMPLE_NOW, tick=False)
    ecom, crm = worked_example(ecom_label="Fewer support calls", crm_label=SCRIPT)
    Initiative.objects.filter(pk__in=[ecom.pk, crm.pk]).update(stage=Stage.LIVE)
    Initiative.objects.filter(pk=crm.pk).update(title=FORMULA)
    Initiative.objects.filter(pk=ecom.pk).update(sustainment_owner=ecom.sponsor)
    building = InitiativeFactory(code="WMS-3", stage=Stage.IN_DELIVERY)
    plan(building, kind="revenue", label="Not yet", periods=[((2026, 4), "500", None)])
    meeting = SteeringMeeting.objects.create(
        committee=committee, title="January board", held_on=datetime.date(2027, 1, 15)
    )
    AgendaItem.objects.create(meeting=meeting, initiative=ecom, position=1, minutes=20)
    AgendaItem.objects.create(meeting=meeting, initiative=building, position=2, minutes=20)
    AgendaItem.objects.create(meeting=meeting, initiative=crm, position=3, for_noting=True)
    return SteeringMeeting.objects.select_related("committee").get(pk=meeting.pk)


def test_the_pack_holds_the_live_initiatives_plans_and_the_portfolio_summary(pack):
    # when
    benefits = boardpack.pack_context(pack)["benefits"]

    # then: as of the day the pack is drawn (before the meeting), the live initiatives in agenda order
    assert benefits["as_of"] == datetime.date(2027, 1, 10)
    assert [entry["initiative"].code for entry in benefits["initiatives"]] == ["ECOM-1", "CRM-2"]
    [ecom] = benefits["initiatives"][0]["plans"]
    assert ecom["figures"] == {
        "expected_to_date": "€72,345.67",
        "realised_to_date": "€35,703.70",
        "variance": "−€36,641.97",
        "variance_pct": "−50.6 %",
        "total_expected": "€152,345.67",
        "forecast": "€75,184.93",
        "forecast_variance": "−€77,160.74",
        "rate": "49.4 %",
        "forecast_confidence": "Medium confidence: 3 quarters measured; 47% of the planned value to date; 1 quarter to date lacking an actual.",
    }
    assert [q.label for q in ecom["result"].realisation.missing_actuals] == ["2026 Q3"]
    # and the portfolio's money plans, WMS-3's in delivery included: 47,703.70 + 0 of 92,345.67 + 500
    total = benefits["portfolio"].total
    assert (total.realised_to_date, total.expected_to_date) == (Decimal("47703.70"), Decimal("92845.67"))


def test_the_html_pack_shows_the_benefits_with_typed_text_escaped(pack, client, executive):
    # given
    client.force_login(executive)

    # when
    page = client.get(reverse("steering:boardpack-html", args=[pack.pk])).content.decode()

    # then
    section = page.split('id="benefits"')[1].split("</section>")[0]
    text = words(section)
    assert "for the quarters ended by 2027-01-10: realised €47,704 of €92,846 expected to date" in text
    assert "(variance −€45,142, −48.6%)" in text
    assert "forecast €93,185 of €182,846 planned." in text
    assert "WMS-3" not in text
    assert (
        "Fewer support calls (Cost saving; KPI Support calls per 1,000 orders) Erin Exec €35,703.70 "
        "€72,345.67 −€36,641.97 (−50.6 %) €75,184.93 of €152,345.67 Medium confidence: 3 quarters measured; "
        "47% of the planned value to date; 1 quarter to date lacking an actual. 2026 Q3" in text
    )
    # CRM-2's revenue plan: 12,000 of 20,000, no quarter lacking; its non-financial plan in the KPI's unit
    assert (
        "€12,000.00 €20,000.00 −€8,000.00 (−40.0 %) €18,000.00 of €30,000.00 High confidence: 2 quarters "
        "measured; 67% of the planned value to date. —" in text
    )
    assert (
        "2 % 3 % −1 % (−33.3 %) 2 % of 3 % High confidence: every quarter of the plan has ended and been measured. —"
        in text
    )
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert FORMULA.replace("'", "&#x27;") in section


def test_a_pack_without_live_initiatives_says_so(pack):
    AgendaItem.objects.filter(meeting=pack, initiative__stage=Stage.LIVE).delete()
    page = boardpack.render_html(pack)
    assert "No live initiative on this agenda: no post-implementation review." in page


def test_the_benefits_read_the_same_queries_whatever_the_number_of_plans(pack):
    # given
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            boardpack.pack_context(SteeringMeeting.objects.select_related("committee").get(pk=pack.pk))
        return len(captured)

    small = queries()
    kpi = KPIFactory()
    for n in range(10):
        initiative = InitiativeFactory(stage=Stage.LIVE, go_live_date=datetime.date(2026, 3, 1))
        plan(initiative, kpi=kpi, source="derived", periods=[((2026, 2), "100", None)])
        plan(initiative, kind="revenue", position=1, periods=[((2026, 2), "100", str(n))])
        AgendaItem.objects.create(meeting=pack, initiative=initiative, position=10 + n, for_noting=True)

    # when
    large = queries()

    # then
    assert large == small
