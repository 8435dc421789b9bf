"""The heat map read as arrays (issue 13, part 7) says what the per-cell reads say: every cell's capacity,
run, committed and proposed change, utilisation, band and over-allocation, the shares, and the over-allocated
team-months worst first, on a world with bounded members, overrides, a team without anyone and one without
capacity but with demand."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest

from capacity import rendering, selectors, services
from capacity.models import CapacityOverride, ChangeDemand, RunDemand, Team, TeamMember
from capacity.months import add_months, short
from core.stages import Stage
from tests.factories import InitiativeFactory

START = datetime.date(2027, 1, 1)
MONTHS = 8


@pytest.fixture
def crowd(db, pmo):
    rng = random.Random(7)
    teams = [Team.objects.create(name=f"Team {n}") for n in (3, 1, 2, 5, 4)]
    for team in teams[:3]:
        for m in range(3):
            TeamMember.objects.create(
                team=team,
                name=f"{team.name} {m}",
                availability=rng.choice([40, 80, 100]),
                start_month=add_months(START, 2) if m == 2 else None,
                end_month=add_months(START, 5) if m == 1 else None,
            )
    CapacityOverride.objects.create(team=teams[0], month=add_months(START, 3), person_days=Decimal("7.5"))
    for team in teams[:4]:  # teams[3] has demand and no one: over-allocated without capacity
        for i in range(MONTHS):
            RunDemand.objects.create(
                team=team,
                month=add_months(START, i),
                category="support",
                person_days=Decimal(rng.randint(0, 30)),
            )
    for n in range(12):
        initiative = InitiativeFactory(
            code=f"G-{n}",
            stage=[Stage.PROPOSED, Stage.APPROVED, Stage.IN_DELIVERY][n % 3],
            planned_start=add_months(START, rng.randint(-1, 5)),
            planned_end=add_months(START, rng.randint(6, 9)),
        )
        for team in rng.sample(teams, 2):
            ChangeDemand.objects.create(
                initiative=initiative, team=team, person_days=Decimal(rng.randint(5, 90))
            )
    services.respread()
    return teams


@pytest.mark.parametrize("proposals", [False, True])
def test_every_cell_agrees_with_the_per_cell_reads(crowd, proposals):
    teams = [(t.pk, t.name) for t in sorted(crowd, key=lambda t: t.name)]
    months = selectors.window(START, MONTHS)
    policy = services.current_policy()

    grid = selectors.heat_map(teams, months, policy=policy, proposals=proposals)

    capacity = selectors.capacities(None, months)
    run = selectors.run_totals(None, months)
    change = selectors.change_totals(None, months)
    expected_over = []
    for row in grid.rows:
        sums = [0.0, 0.0, 0.0, 0.0]
        for month, cell in zip(months, row.cells, strict=True):
            key = (row.team_id, month)
            committed, proposed = change.get(key, (0.0, 0.0))
            expected = selectors.Cell(
                row.team_id, month, capacity.get(key, 0.0), run.get(key, 0.0), committed, proposed
            )
            assert (cell.capacity, cell.run, cell.committed, cell.proposed) == pytest.approx(
                (expected.capacity, expected.run, expected.committed, expected.proposed), abs=1e-9
            )
            assert cell.capacity == expected.capacity
            assert cell.run == expected.run
            if cell.over(float(policy.overload_threshold), proposals=proposals):
                expected_over.append(
                    (-(cell.utilisation(proposals=proposals) or float("inf")), row.name, month)
                )
            for k, value in enumerate((cell.capacity, cell.run, cell.committed, cell.proposed)):
                sums[k] += value
        assert (row.share.capacity, row.share.run, row.share.committed, row.share.proposed) == tuple(sums)
    expected_over.sort()
    assert [(row.name, cell.month) for row, cell in grid.over] == [
        (name, month) for _, name, month in expected_over
    ]
    assert grid.over_count == len(expected_over) > 0
    assert [(row.name, cell.month) for row, cell in grid.worst(3)] == [
        (n, m) for _, n, m in expected_over[:3]
    ]
    # demand without capacity comes first (Team 4 and Team 5 have no one)
    assert (grid.over[0][0].name, grid.over[0][1].capacity) == ("Team 4", 0.0)


def test_the_rendered_cells_carry_band_title_mark_and_link(crowd):
    teams = [(t.pk, t.name) for t in sorted(crowd, key=lambda t: t.name)]
    months = selectors.window(START, MONTHS)
    grid = selectors.heat_map(teams, months, policy=services.current_policy(), proposals=True)

    body = str(rendering.grid_body(grid))

    for row in grid.rows:
        for cell in row.cells:
            percent = cell.utilisation(proposals=True)
            href = f"/capacity/teams/{row.team_id}/months/{short(cell.month)}/"
            css = cell.css(proposals=True)
            if percent is None:
                text, title = ("no cap." if cell.over(grid.threshold, proposals=True) else "–"), "no capacity"
            else:
                text = f"{percent:.0f}"
                title = f"{text} % of {cell.capacity:.1f} person-days"
            mark = " (over-allocated)" if cell.over(grid.threshold, proposals=True) else ""
            assert f'<td class="{css}"><a href="{href}" title="{row.name}, ' in body
            assert f"{title}{mark}" in body
            assert f'<a href="{href}" title="{row.name}, {cell.month:%B %Y}: {title}{mark}">' in body
            assert text in body
