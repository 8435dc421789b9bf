"""docs/capacity.md's worked example, reproduced exactly from the world it describes."""

from __future__ import annotations

from pathlib import Path

from capacity import selectors, services
from tests.capacity.conftest import MARCH

DOC = Path(__file__).resolve().parents[2] / "docs" / "capacity.md"


def test_the_worked_example_is_what_the_code_computes(world):
    team = world["team"]
    grid = selectors.heat_map([(team.pk, team.name)], [MARCH], policy=services.current_policy())
    cell, share = grid.rows[0].cells[0], grid.rows[0].share
    text = DOC.read_text()
    figures = {
        "capacity": f"| **Capacity** | **{cell.capacity:.1f}** |",
        "run": f"| Run demand: support 10, incidents 4.5 | {cell.run:.1f} |",
        "committed": f"| LAKE-1 (approved, Jan-Jun 2027, 60 person-days): committed | 60 / 6 = {cell.committed:.1f} |",
        "proposed": f"| LAKE-2 (proposed, Mar-Apr 2027, 30 person-days): proposed | 30 / 2 = {cell.proposed:.1f} |",
        "utilisation": f"(14.5 + 10) / 34.5 = **{cell.utilisation():.1f} %**",
        "with proposals": f"(14.5 + 10 + 15) / 34.5 = **{cell.utilisation(proposals=True):.1f} %**",
        "run share": f"14.5 / 34.5 = **{share.run_share:.1f} %**; left for change: **{share.change_room:.1f} %**",
        "change share": f"10 / (14.5 + 10) = **{share.change_share:.1f} %**",
    }
    assert {name: line in text for name, line in figures.items()} == dict.fromkeys(figures, True)
    assert (cell.capacity, cell.run, cell.committed, cell.proposed) == (34.5, 14.5, 10.0, 15.0)
