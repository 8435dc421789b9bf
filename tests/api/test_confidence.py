"""How sure each number is, in the API (docs/scoring.md, "Confidence"): a KPI's status and forecast interval,
an initiative's score, on the worked example of the scoring docs recomputed on 21 November 2026."""

from __future__ import annotations

import pytest

from alignment import services
from tests.alignment.conftest import tier_policies
from tests.alignment.engine_support import TODAY, build_example
from tests.api.conftest import api_as

__all__ = ["tier_policies"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tier_policies", "today")]


def test_a_kpi_carries_its_forecast_interval_and_confidence(executive):
    x = build_example()
    services.recompute(today=TODAY)

    orders = api_as(executive, "read").get(f"kpis/{x['orders'].pk}").data
    cost = api_as(executive, "read").get(f"kpis/{x['cost'].pk}").data

    assert (orders["status"], orders["readings_used"], orders["forecast_value"]) == ("at_risk", 4, 27.9)
    assert orders["confidence"] == {
        "level": "medium",
        "forecast_low": 26.753023,
        "forecast_high": 29.046977,
        "words": "Medium confidence: 4 readings used, the latest 84 days ago; 80% forecast interval 26.75 to "
        f"29.05 {x['orders'].unit} at the target date, which spans more than one status.",
    }
    assert cost["confidence"] == {
        "level": "low",
        "forecast_low": None,
        "forecast_high": None,
        "words": "Low confidence: 2 readings used, the latest 84 days ago; too few for a trend.",
    }


def test_an_initiative_score_carries_its_confidence(executive):
    x = build_example()
    services.recompute(today=TODAY)
    client = api_as(executive, "read")

    listed = {row["code"]: row["score"]["confidence"] for row in client.get("initiatives").data["items"]}
    stored = client.get(f"initiatives/{x['chk'].pk}/score").data["stored"]["confidence"]

    chk = {
        "level": "medium",
        "gaps": {"delivery": "stale"},
        "words": "Medium confidence: 1 of 3 components missing or stale: delivery stale (no checkpoint review "
        "within the tier's cadence has confirmed it).",
    }
    assert listed == {
        "CHK-1": chk,
        "SRCH-1": {
            "level": "medium",
            "gaps": {"outcome": "missing"},
            "words": "Medium confidence: 1 of 3 components missing or stale: outcome missing.",
        },
        "DC-1": {
            "level": "high",
            "gaps": {},
            "words": "High confidence: all 2 components measured on current data.",
        },
    }
    assert stored == chk
