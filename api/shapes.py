"""Records as the API answers them: plain dicts in the shapes of api.schemas, built from rows read with
their related records (the callers' select_related/prefetch), so a page costs the same queries at any size."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from alignment.engine import confidence, status
from core.formatting import person
from portfolio.benefit_selectors import plan_owner
from portfolio.benefits import CENT, KPI_PLACES, rounded


def person_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": person(user)}


def initiative_ref(initiative: Any) -> dict[str, Any] | None:
    if initiative is None:
        return None
    return {"id": initiative.pk, "code": initiative.code, "title": initiative.title}


def objective_ref(objective: Any) -> dict[str, Any]:
    return {"id": objective.pk, "code": objective.code, "title": objective.title}


def related(record: Any, name: str) -> Any:
    """A one-to-one that may be missing (a score not computed yet), without a query when it was joined."""
    try:
        return getattr(record, name)
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist of whichever model
        return None


def confidence_out(level: str, unsure: Any, stage: str) -> dict[str, Any]:
    """How sure a score is (alignment.engine.confidence): its level (null for an idea or a proposal, judged on
    fit alone), the components its stage is judged on that are missing or stale, and the same in words."""
    gaps = unsure if isinstance(unsure, dict) else {}
    return {
        "level": level or None,
        "gaps": gaps,
        "words": confidence.score_words(level, stage, gaps),
    }


def kpi_confidence_out(score: Any, unit: str, fresh_days: int) -> dict[str, Any]:
    """How sure a KPI's status is: its level, the forecast's 80% interval, and the same in words."""
    if score is None:
        return {
            "level": "none",
            "forecast_low": None,
            "forecast_high": None,
            "words": "No data: no reading yet.",
        }
    return {
        "level": score.confidence,
        "forecast_low": score.forecast_low,
        "forecast_high": score.forecast_high,
        "words": score.confidence_words(unit=unit, today=timezone.localdate(), fresh_days=fresh_days),
    }


def score_out(score: Any, stage: str) -> dict[str, Any] | None:
    if score is None:
        return None
    return {
        "alignment": score.alignment,
        "fit": score.fit,
        "outcome": score.outcome,
        "delivery": score.delivery,
        "governance": score.governance,
        "tier": score.tier,
        "missing": sorted(score.missing or {}),
        "stale": score.stale,
        "computed_at": score.computed_at,
        "status": status_out(score.status, score.status_review),
        "confidence": confidence_out(score.confidence, score.unsure, stage),
    }


def status_out(stored: str | None, review_held_on: Any) -> dict[str, Any] | None:
    """The current status per dimension (alignment.engine.status), or None at stages that keep none."""
    pairs = status.read(stored or "")
    if not pairs:
        return None
    return {**dict(pairs), "review_held_on": review_held_on}


def objective_out(o: Any) -> dict[str, Any]:
    score = related(o, "score")
    return {
        "id": o.pk,
        "code": o.code,
        "title": o.title,
        "description": o.description,
        "parent_id": o.parent_id,
        "owner": person_ref(o.owner),
        "horizon_start": o.horizon_start,
        "horizon_end": o.horizon_end,
        "status": o.status,
        "local_weight": o.local_weight,
        "global_weight": score.global_weight if score is not None else None,
        "version": o.version,
    }


def kpi_out(k: Any, *, fresh_days: int) -> dict[str, Any]:
    """A KPI with its status; `fresh_days`: the scoring policy's freshness limit (read once per request)."""
    score = related(k, "score")
    return {
        "id": k.pk,
        "objective": objective_ref(k.objective),
        "name": k.name,
        "description": k.description,
        "unit": k.unit,
        "direction": k.direction,
        "baseline_value": k.baseline_value,
        "baseline_date": k.baseline_date,
        "target_value": k.target_value,
        "target_date": k.target_date,
        "status": score.status if score is not None else "no_data",
        "latest_value": score.latest_value if score is not None else None,
        "latest_date": score.latest_date if score is not None else None,
        "progress": score.progress if score is not None else None,
        "readings_used": score.readings_used if score is not None else 0,
        "forecast_value": score.forecast_value if score is not None else None,
        "confidence": kpi_confidence_out(score, k.unit, fresh_days),
        "version": k.version,
    }


def reading_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "kpi_id": r.kpi_id,
        "date": r.date,
        "value": r.value,
        "source": r.source,
        "entered_by": person_ref(r.entered_by),
        "version": r.version,
    }


def program_out(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "description": p.description,
        "owner": person_ref(p.owner),
        "initiatives": getattr(p, "initiative_count", 0),
        "version": p.version,
    }


PEOPLE = ("sponsor", "manager", "sustainment_owner")
SCORE_PARTS = (
    "alignment",
    "fit",
    "outcome",
    "delivery",
    "governance",
    "tier",
    "missing",
    "stale",
    "computed_at",
    "status",
    "status_review",
    "confidence",
    "unsure",
)
CASE_FIGURES = (
    "policy_version",
    "npv",
    "irr",
    "payback_years",
    "discounted_payback_years",
    "roi",
    "total_cost",
    "total_benefit",
)
INITIATIVE_FIELDS = (
    "id",
    "code",
    "title",
    "description",
    "program_id",
    "program__name",
    "category",
    "stage",
    "stage_since",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "go_live_date",
    "budget_capex",
    "budget_opex",
    "actual_cost",
    "forecast_cost",
    "requirements_clarity",
    "criticality",
    "urgency",
    "mandatory",
    "mandatory_reason",
    "wsjf_business_value",
    "wsjf_time_criticality",
    "wsjf_risk_reduction",
    "wsjf_job_size",
    "version",
    *(f"{who}_id" for who in PEOPLE),
    "score__initiative_id",
    *(f"score__{part}" for part in SCORE_PARTS),
    "business_case__initiative_id",
    *(f"business_case__{figure}" for figure in CASE_FIGURES),
)
# an initiative read as plain values (no model instances: a page of 100 would make 1,200 of them); its people
# are read by a query of their own (three joins to the users' table cost the planner more than the query)
PLAIN = tuple(f for f in INITIATIVE_FIELDS if "__" not in f and not f.endswith("_id"))
PERSON_FIELDS = ("id", "username", "first_name", "last_name")


def people_of(rows: list[dict[str, Any]]) -> set[int]:
    return {row[f"{who}_id"] for row in rows for who in PEOPLE if row[f"{who}_id"] is not None}


def person_from_values(row: dict[str, Any]) -> dict[str, Any]:
    name = f"{row['first_name']} {row['last_name']}".strip()
    return {"id": row["id"], "username": row["username"], "name": name or row["username"]}


def initiative_from_values(
    row: dict[str, Any], contributions: list[dict[str, Any]], people: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """An initiative as the API answers it, from a row of INITIATIVE_FIELDS, its contributions' rows (id,
    strength, objective_id, objective__code, objective__title) and its people (person_from_values, by id)."""
    out = {name: row[name] for name in PLAIN}
    out["program"] = {"id": row["program_id"], "name": row["program__name"]} if row["program_id"] else None
    for who in PEOPLE:
        pk = row[f"{who}_id"]
        out[who] = people.get(pk) if pk is not None else None
    if row["score__initiative_id"] is None:
        out["score"] = None
    else:
        score = {part: row[f"score__{part}"] for part in SCORE_PARTS}
        score["missing"] = sorted(score["missing"] or {})
        score["status"] = status_out(score.pop("status"), score.pop("status_review"))
        score["confidence"] = confidence_out(score.pop("confidence"), score.pop("unsure"), row["stage"])
        out["score"] = score
    out["business_case"] = (
        {figure: row[f"business_case__{figure}"] for figure in CASE_FIGURES}
        if row["business_case__initiative_id"] is not None
        else None
    )
    out["contributions"] = [
        {
            "id": c["id"],
            "objective": {
                "id": c["objective_id"],
                "code": c["objective__code"],
                "title": c["objective__title"],
            },
            "strength": c["strength"],
        }
        for c in contributions
    ]
    return out


def contribution_out(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "initiative": initiative_ref(c.initiative),
        "objective": objective_ref(c.objective),
        "strength": c.strength,
        "rationale": c.rationale,
        "kpi_id": c.kpi_id,
        "expected_change": c.expected_change,
        "version": c.version,
    }


def milestone_out(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "initiative": initiative_ref(m.initiative),
        "name": m.name,
        "baseline_date": m.baseline_date,
        "forecast_date": m.forecast_date,
        "actual_date": m.actual_date,
        "version": m.version,
    }


def scope_change_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "initiative": initiative_ref(s.initiative),
        "date": s.date,
        "description": s.description,
        "rationale": s.rationale,
        "cost_impact": s.cost_impact,
        "schedule_impact_days": s.schedule_impact_days,
        "status": s.status,
        "approved_by": person_ref(s.approved_by),
        "version": s.version,
    }


def risk_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "initiative": initiative_ref(r.initiative),
        "title": r.title,
        "description": r.description,
        "category": r.category,
        "probability": r.probability,
        "impact": r.impact,
        "exposure": r.probability * r.impact,
        "owner": person_ref(r.owner),
        "mitigation": r.mitigation,
        "status": r.status,
        "review_date": r.review_date,
        "version": r.version,
    }


def score_row(s: Any) -> dict[str, Any]:
    return {**(score_out(s, s.initiative.stage) or {}), "initiative": initiative_ref(s.initiative)}


def signal_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "rule": s.rule,
        "severity": s.severity,
        "message": s.message,
        "initiative": initiative_ref(s.initiative) if s.initiative_id else None,
        "objective_id": s.objective_id,
        "kpi_id": s.kpi_id,
        "program_id": s.program_id,
        "owner": person_ref(s.owner) if s.owner_id else None,
        "measured": s.measured,
        "threshold": s.threshold,
        "evidence": s.evidence if isinstance(s.evidence, list) else [],
        "first_seen": s.first_seen,
        "last_seen": s.last_seen,
    }


INDEX_FIELDS = (
    "date",
    "scope",
    "computed_at",
    "policy_version",
    "funded_budget",
    "alignment_index",
    "top_share",
    "misallocation",
    "coverage",
    "predictability",
    "red_signals",
    "amber_signals",
)


def index_out(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in INDEX_FIELDS}


def agenda_item_out(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "initiative": initiative_ref(a.initiative),
        "position": a.position,
        "for_noting": a.for_noting,
        "status": a.status,
        "minutes": a.minutes,
        "review_id": a.review_id,
        "version": a.version,
    }


def meeting_out(m: Any, agenda: list[Any] | None = None) -> dict[str, Any]:
    return {
        "id": m.pk,
        "committee": m.committee.name,
        "title": m.title,
        "held_on": m.held_on,
        "location": m.location,
        "status": m.status,
        "notes": m.notes,
        "agenda": [agenda_item_out(a) for a in agenda or []],
        "version": m.version,
    }


def review_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "initiative": initiative_ref(r.initiative),
        "meeting_id": r.meeting_id,
        "held_on": r.held_on,
        "rag_schedule": r.rag_schedule,
        "rag_cost": r.rag_cost,
        "rag_scope": r.rag_scope,
        "rag_benefits": r.rag_benefits,
        "decision": r.decision,
        "rationale": r.rationale,
        "recorded_by": person_ref(r.recorded_by),
        "version": r.version,
    }


def action_out(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "initiative": initiative_ref(a.initiative),
        "review_id": a.review_id,
        "title": a.title,
        "owner": person_ref(a.owner),
        "due_date": a.due_date,
        "status": a.status,
        "completed_on": a.completed_on,
        "note": a.note,
        "version": a.version,
    }


def portfolio_decision_out(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "kind": d.kind,
        "outcome": d.outcome,
        "subject": d.subject,
        "initiative": initiative_ref(d.initiative) if d.initiative is not None else None,
        "rationale": d.rationale,
        "decided_by": person_ref(d.decided_by),
        "decided_at": d.decided_at,
        "link": d.link,
    }


def proposal_out(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "initiative": initiative_ref(p.initiative),
        "target_stage": p.target_stage,
        "status": p.status,
        "submitted_by": person_ref(p.submitted_by),
        "submitted_at": p.submitted_at,
        "decided_by": person_ref(p.decided_by),
        "decided_at": p.decided_at,
        "events": [
            {
                "kind": e.kind,
                "by": person_ref(e.by),
                "at": e.at,
                "note": e.note,
                "decision_id": e.decision_id,
            }
            for e in p.events.all()
        ],
        "version": p.version,
    }


def benefit_plan_out(result: Any) -> dict[str, Any]:
    """A benefit plan with its quarters and realisation (a portfolio.benefit_selectors.PlanResult of a plan
    read with benefit_selectors.plans()); values to the cent on a money line, to 4 decimals in a KPI's unit."""
    plan = result.plan
    places = CENT if result.financial else KPI_PLACES
    r = result.realisation
    kpi = plan.kpi
    return {
        "id": plan.pk,
        "initiative": initiative_ref(plan.line.case.initiative),
        "line": plan.line.label,
        "kind": plan.line.kind,
        "financial": result.financial,
        "owner": person_ref(plan_owner(plan)),
        "owner_is_default": not plan.owner_id,
        "kpi": None if kpi is None else {"id": kpi.pk, "name": kpi.name, "unit": kpi.unit},
        "source": plan.source,
        "version": plan.version,
        "quarters": [
            {
                "year": row.quarter.year,
                "quarter": row.quarter.quarter,
                "expected": None if row.expected is None else rounded(row.expected, places),
                "actual": None if row.actual is None else rounded(row.actual, places),
                "actual_from": "" if row.actual is None else plan.source,
                "note": row.note,
            }
            for row in result.rows
        ],
        "realisation": {
            "as_of": r.as_of,
            "expected_to_date": r.expected_to_date,
            "realised_to_date": r.realised_to_date,
            "variance": r.variance,
            "variance_fraction": r.variance_fraction,
            "realisation_rate": r.rate,
            "total_expected": r.total_expected,
            "forecast": r.forecast,
            "forecast_variance": r.forecast_variance,
            "quarters_lacking_actual": [quarter.label for quarter in r.missing_actuals],
            "forecast_confidence": dict(zip(("level", "words"), r.forecast_confidence(), strict=True)),
        },
    }
