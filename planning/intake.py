"""What each intake stage can require of an initiative (the catalogue the intake policy picks from), and the
check of one initiative against a stage's requirements: the one definition the submit, the decision, the
initiative page's section and the proposals page all use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portfolio import finance
from portfolio.models import BusinessCase, BusinessCaseLine, Initiative

COSTS = [kind.value for kind in finance.LineKind if kind.is_cost]
BENEFITS = [kind.value for kind in finance.LineKind if not kind.is_cost]


@dataclass(frozen=True)
class Facts:
    """What the requirements read about one initiative (four queries)."""

    initiative: Initiative
    contributions: int
    contributions_with_kpi: int
    milestones: int
    cost_lines: int
    benefit_lines: int
    npv_computed: bool


@dataclass(frozen=True)
class Requirement:
    key: str
    label: str  # what must be present, as a checklist item
    fix: str  # where to enter it
    met: Callable[[Facts], bool]


REQUIREMENTS: dict[str, Requirement] = {
    r.key: r
    for r in (
        Requirement(
            "description",
            "A description",
            "Describe it on the initiative's form.",
            lambda f: bool(f.initiative.description.strip()),
        ),
        Requirement(
            "sponsor",
            "A sponsor",
            "The PMO names the executive sponsor on the initiative's form.",
            lambda f: f.initiative.sponsor_id is not None,
        ),
        Requirement(
            "manager",
            "An initiative manager",
            "The PMO names the manager on the initiative's form.",
            lambda f: f.initiative.manager_id is not None,
        ),
        Requirement(
            "program",
            "A program",
            "Choose its program on the initiative's form.",
            lambda f: f.initiative.program_id is not None,
        ),
        Requirement(
            "contribution",
            "At least one contribution to an objective",
            "The PMO links it to an objective in the Contributions section.",
            lambda f: f.contributions > 0,
        ),
        Requirement(
            "kpi",
            "A contribution naming the KPI it should move",
            "Name the KPI on one of its contributions.",
            lambda f: f.contributions_with_kpi > 0,
        ),
        Requirement(
            "planned_dates",
            "Planned start and end dates",
            "Enter them on the initiative's form.",
            lambda f: f.initiative.planned_start is not None and f.initiative.planned_end is not None,
        ),
        Requirement(
            "budget",
            "A budget (capex or opex above zero)",
            "Enter the budget on the initiative's form.",
            lambda f: f.initiative.budget_total > 0,
        ),
        Requirement(
            "cost_line",
            "At least one cost line in the business case",
            "Add a capex or opex line to the business case.",
            lambda f: f.cost_lines > 0,
        ),
        Requirement(
            "benefit_line",
            "At least one benefit line in the business case",
            "Add a benefit line (revenue, saving, avoidance, risk reduction or a KPI) to the business case.",
            lambda f: f.benefit_lines > 0,
        ),
        Requirement(
            "npv",
            "An NPV computed from the business case",
            "Enter cost and benefit amounts in the business case so its NPV can be computed.",
            lambda f: f.npv_computed,
        ),
        Requirement(
            "milestone",
            "At least one milestone",
            "Add a milestone with its baseline date.",
            lambda f: f.milestones > 0,
        ),
        Requirement(
            "clarity",
            "Requirements clarity rated",
            "Rate the requirements' clarity (1 to 5) on its form.",
            lambda f: f.initiative.requirements_clarity is not None,
        ),
        Requirement(
            "benefit_owner",
            "A benefit owner (the sustainment owner)",
            "Name the sustainment owner: who owns the solution and its benefits after go-live.",
            lambda f: f.initiative.sustainment_owner_id is not None,
        ),
    )
}

# Until the PMO publishes a policy: a proposal says what and why; an approval needs a costed, owned case.
DEFAULT_PROPOSED = ("description", "sponsor", "contribution")
DEFAULT_APPROVED = (
    "description",
    "sponsor",
    "manager",
    "contribution",
    "planned_dates",
    "budget",
    "cost_line",
    "benefit_line",
    "npv",
    "benefit_owner",
)


def facts(initiative: Initiative) -> Facts:
    lines = BusinessCaseLine.objects.filter(case_id=initiative.pk)
    return Facts(
        initiative=initiative,
        contributions=initiative.contributions.count(),
        contributions_with_kpi=initiative.contributions.filter(kpi__isnull=False).count(),
        milestones=initiative.milestones.count(),
        cost_lines=lines.filter(kind__in=COSTS).count(),
        benefit_lines=lines.filter(kind__in=BENEFITS).count(),
        npv_computed=BusinessCase.objects.filter(pk=initiative.pk, npv__isnull=False).exists()
        and lines.exists(),
    )


def checklist(initiative: Initiative, keys: list[str]) -> list[tuple[Requirement, bool]]:
    """Each required item (in the catalogue's order) and whether the initiative meets it."""
    known = facts(initiative)
    return [(r, r.met(known)) for key, r in REQUIREMENTS.items() if key in keys]


def missing(initiative: Initiative, keys: list[str]) -> list[Requirement]:
    return [r for r, met in checklist(initiative, keys) if not met]


def choices() -> list[tuple[str, str]]:
    return [(r.key, r.label) for r in REQUIREMENTS.values()]
