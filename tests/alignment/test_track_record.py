"""Track record by sponsor, program and manager (issue 14, parts 3 and 6): say/do on milestones, slip, cost
against budget and benefits realised of promised, on its page, in its CSV and on a proposal's header; the
figures of docs/benefits.md's worked example ("Track record")."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alignment import track_record
from alignment.engine.inputs import load_benefits
from alignment.models import InitiativeScore
from tests.alignment.test_benefits_view import plan
from tests.export_support import csv_rows
from tests.factories import InitiativeFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def today(time_machine) -> datetime.date:
    time_machine.move_to(datetime.datetime(2027, 1, 10, 12, tzinfo=datetime.UTC), tick=False)
    return D(2027, 1, 10)


def scored(initiative, **figures):
    """The engine's stored figures the record reads (the engine's own tests compute them)."""
    InitiativeScore.objects.update_or_create(initiative=initiative, defaults=figures)
    return initiative


def money(capex: str, opex: str = "0") -> dict[str, Decimal]:
    return {"budget_capex": Decimal(capex), "budget_opex": Decimal(opex)}


@pytest.fixture
def portfolio(today):
    """docs/benefits.md, "Track record": Erin sponsors A (in delivery), B (live) and D (in delivery), and
    proposes C; Finn sponsors E (closed)."""
    erin = UserFactory(username="erin", first_name="Erin", last_name="Exec")
    finn = UserFactory(username="finn", first_name="Finn", last_name="<b>Fox</b>")
    digital = ProgramFactory(name="Digital")
    a = scored(
        InitiativeFactory(code="A", sponsor=erin, program=digital, stage="in_delivery", **money("100000")),
        milestones_due=4,
        milestones_on_time=3,
        slip_ratio=0.10,
        overrun=0.20,
    )
    b = scored(
        InitiativeFactory(
            code="B",
            sponsor=erin,
            program=digital,
            stage="live",
            go_live_date=D(2026, 6, 1),
            **money("300000"),
        ),
        milestones_due=2,
        milestones_on_time=0,
        slip_ratio=0.30,
        overrun=0.0,
    )
    d = scored(InitiativeFactory(code="D", sponsor=erin, stage="in_delivery", **money("80000")))
    c = InitiativeFactory(code="C", sponsor=erin, stage="proposed")
    e = scored(
        InitiativeFactory(code="E", sponsor=finn, stage="closed", **money("50000", "50000")),
        milestones_due=1,
        milestones_on_time=1,
    )
    # B's revenue: 10,000 a quarter from Q3 2026, 5,000 then 7,000 realised; Q1 2027 is not over
    plan(
        b,
        kind="revenue",
        periods=[((2026, 3), "10000", "5000"), ((2026, 4), "10000", "7000"), ((2027, 1), "10000", None)],
    )
    # D is not live: what its plan promised does not count yet
    plan(d, kind="revenue", periods=[((2026, 4), "50000", "0")])
    return {"erin": erin, "finn": finn, "a": a, "b": b, "c": c, "d": d, "e": e}


def test_the_worked_example_by_sponsor(portfolio, today):
    erin, finn = track_record.records("sponsor", today)

    # Erin: A, B and D funded; 3 of 6 milestones on time; slip (10% + 30%) / 2; cost (100,000 x 20% +
    # 300,000 x 0%) / 400,000 (D has no forecast); benefits 12,000 of 20,000 (B's two quarters ended)
    assert (erin.name, erin.initiatives, erin.milestones_due, erin.milestones_on_time) == (
        "Erin Exec",
        3,
        6,
        3,
    )
    assert erin.say_do == 0.5
    assert erin.slip == pytest.approx(0.20, abs=1e-12)
    assert erin.overrun == pytest.approx(0.05, abs=1e-12)
    assert (erin.benefits.expected_to_date, erin.benefits.realised_to_date) == (
        Decimal("20000"),
        Decimal("12000"),
    )
    assert erin.realisation == 0.6
    # Finn: E only, its one milestone on time, nothing else measured
    assert (finn.name, finn.initiatives, finn.say_do, finn.slip, finn.overrun, finn.realisation) == (
        "Finn <b>Fox</b>",
        1,
        1.0,
        None,
        None,
        None,
    )


def test_by_program_and_by_manager(portfolio, today):
    by_program = [(r.name, r.initiatives, r.milestones_due) for r in track_record.records("program", today)]
    by_manager = [(r.name, r.initiatives) for r in track_record.records("manager", today)]

    assert by_program == [("Digital", 2, 6), ("No program", 2, 1)]
    assert by_manager == [("No manager", 4)]


def test_the_page_and_its_csv(portfolio, client, executive):
    client.force_login(executive)

    html = client.get(reverse("alignment:track-record")).content.decode()
    rows = csv_rows(client.get(reverse("alignment:track-record-csv"), {"by": "sponsor"}))

    assert '<td class="num">50% <span class="text-body-secondary small">(3 of 6)</span></td>' in html
    assert '<td class="num">+5.0%</td>' in html
    assert "Finn &lt;b&gt;Fox&lt;/b&gt;" in html
    assert rows == [
        track_record.COLUMNS,
        ["Erin Exec", "3", "6", "3", "50.0", "20.0", "5.0", "20000.00", "12000.00", "60.0"],
        ["Finn <b>Fox</b>", "1", "1", "1", "100.0", "", "", "0", "0", ""],
    ]


def test_a_bad_choice_is_named_and_the_sponsors_are_shown(portfolio, client, executive):
    client.force_login(executive)

    page = client.get(reverse("alignment:track-record"), {"by": "password"})
    download = client.get(reverse("alignment:track-record-csv"), {"by": "password"})

    assert page.status_code == 400
    assert "Record of each: Select a valid choice. password is not one of the available choices." in (
        page.content.decode()
    )
    assert ">Erin Exec</th>" in page.content.decode()
    assert download.status_code == 400


def test_someone_without_a_role_is_refused(client, outsider):
    client.force_login(outsider)

    assert client.get(reverse("alignment:track-record")).status_code == 403
    assert client.get(reverse("alignment:track-record-csv")).status_code == 403


def test_a_proposal_shows_its_sponsors_record_and_a_funded_initiative_does_not(portfolio, client, executive):
    client.force_login(executive)

    proposal = client.get(reverse("portfolio:initiative-detail", args=[portfolio["c"].pk])).content.decode()
    funded = client.get(reverse("portfolio:initiative-detail", args=[portfolio["a"].pk])).content.decode()

    assert (
        "Sponsor's track record: 3 funded initiatives; milestones on time 50% (3 of 6); cost +5.0% against "
        "budget; benefits realised 60% of promised to date"
    ) in proposal
    assert "track record" not in funded


@pytest.mark.parametrize("by", list(track_record.DIMENSIONS))
def test_the_queries_do_not_grow_with_the_initiatives(portfolio, client, executive, by):
    client.force_login(executive)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("alignment:track-record"), {"by": by}).status_code == 200
        return len(queries)

    before = count()
    for _n in range(6):
        live = InitiativeFactory(stage="live", sponsor=UserFactory(), program=ProgramFactory())
        scored(live, milestones_due=1)
        plan(live, kind="revenue", periods=[((2026, 4), "100", "50")])

    assert count() == before


def test_the_sponsors_benefits_are_the_record_the_over_promise_signal_reads(portfolio, today):
    erin = portfolio["erin"]
    signal_record = load_benefits(today=today).sponsors[erin.pk]

    (shown,) = track_record.records("sponsor", today, keys=[erin.pk])

    assert (signal_record.realised, signal_record.promised) == (Decimal("12000"), Decimal("20000"))
    assert (shown.benefits.realised_to_date, shown.benefits.expected_to_date) == (
        signal_record.realised,
        signal_record.promised,
    )
    assert shown.realisation == signal_record.rate == 0.6
