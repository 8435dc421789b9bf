"""Stored dashboards: the portfolio's and each program's dashboard drawn after a recompute and served as stored."""

from __future__ import annotations

import datetime
import json
import logging

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from alignment import dashboard, selectors
from alignment.engine import store
from alignment.models import (
    ALL_SCOPE,
    DashboardCell,
    DashboardCube,
    PortfolioIndex,
    StoredDashboard,
)
from alignment.services.policy import current_policy
from core.bulk import bulk_insert
from core.jobs import PROGRESS_STEPS, Progress, run_job
from core.templatetags.bearing import currency_symbol

log = logging.getLogger(__name__)


# Dashboards stored per statement: each is bounded in size (its charts cap what they show), so a batch is too,
# and the redraw holds one batch at a time however many programs there are.
STORE_BATCH = 25


def render_dashboards(*, today: datetime.date | None = None, progress: Progress | None = None) -> int:
    """Render and store the dashboard of the whole portfolio and of each program (one slice load for all), and
    the filter cube the dashboards of other filters are added up from.

    Dashboards are drawn one at a time and stored STORE_BATCH at a time, so memory does not grow with the
    number of programs. Returns the number of dashboards stored; dashboards of programs that no longer exist
    are removed.
    """
    today = today or timezone.localdate()
    policy = current_policy()
    # what the scores are now, read before them: a change made while the cube is drawn gives a new stamp, and
    # the cube, stamped with the old one, is not used
    stamp = selectors.computed_dashboard_stamp()
    source = (
        PortfolioIndex.objects.filter(scope=ALL_SCOPE)
        .order_by("-date")
        .values_list("computed_at", flat=True)
        .first()
    )
    everything = dashboard.DashboardFilters()
    piece = dashboard.load_slice(everything, today=today)
    days = dashboard.recorded_history_days(today)
    store_cube(dashboard.filter_cube(piece, days), stamp=stamp, today=today, days=days)
    programs = sorted({r.program_id for r in piece.rows.values() if r.program_id is not None})
    scopes = [everything] + [dashboard.DashboardFilters(program=pk) for pk in programs]
    if progress:
        progress(20, f"Drawing {len(scopes)} dashboards")
    now = timezone.now()
    symbol = currency_symbol()
    rows: list[dict[str, object]] = []
    drawn: list[str | None] = []
    step = max(1, len(scopes) // PROGRESS_STEPS)
    for n, data in enumerate(dashboard.iter_dashboards(piece, scopes, policy=policy), start=1):
        payload = dashboard.build_payload(data, symbol=symbol, as_of=now)
        rows.append(
            {
                "scope": data.filters.scope,
                "computed_at": now,
                "source_computed_at": source,
                "payload": json.dumps(payload, separators=(",", ":")),
                "html": render_to_string(
                    "alignment/_dashboard_content.html",
                    {"payload": payload, "query": data.filters.query()},
                ),
            }
        )
        drawn.append(data.filters.scope)
        if len(rows) == STORE_BATCH:
            store.upsert(StoredDashboard, rows, key="scope")
            rows = []
        if progress and n % step == 0 and n < len(scopes):
            progress(20 + int(70 * n / len(scopes)), f"Drew {n} of {len(scopes)} dashboards")
    with transaction.atomic():
        store.upsert(StoredDashboard, rows, key="scope")
        StoredDashboard.objects.exclude(scope__in=drawn).delete()
    return len(drawn)


def store_cube(
    cells: dict[dashboard.CubeKey, dashboard.Sums],
    *,
    stamp: str,
    today: datetime.date,
    days: list[datetime.date],
) -> None:
    """Replace the filter cube (some thousands of cells at most: stages x categories x tiers, once for all
    initiatives and once per theme) and its header, in one transaction."""
    with transaction.atomic():
        DashboardCell.objects.all().delete()
        bulk_insert(
            DashboardCell,
            [
                DashboardCell(
                    theme=theme,
                    stage=stage,
                    category=category,
                    tier=tier,
                    funded=sums.funded,
                    sums=sums.to_json(),
                )
                for (theme, stage, category, tier), sums in cells.items()
            ],
        )
        DashboardCube.objects.filter(key=DashboardCube.KEY).delete()
        DashboardCube.objects.create(
            key=DashboardCube.KEY,
            stamp=stamp,
            day=today,
            days=[day.isoformat() for day in days],
            built_at=timezone.now(),
        )


def run_dashboard_render(*, job_id: int | None = None, today: datetime.date | None = None) -> int | None:
    """Redraw the stored dashboards as a job."""
    return run_job(
        job_id,
        lambda progress: render_dashboards(today=today, progress=progress),
        lambda n: f"Redrew {n} dashboards",
        lambda n: {"dashboards": n},
    )
