"""The demo's teams (issue 13): a dozen IT teams of named people, their run demand month by month (support,
incidents, maintenance, operational changes), holiday months, and effort estimates for the open initiatives,
spread over their planned months. The Data platform team is the bottleneck: cloud data platform, customer data
platform, machine-learning forecasting and BI all need it at once, so some of its months are over-allocated."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from capacity import services
from capacity.models import CapacityOverride, ChangeDemand, RunDemand, Team, TeamMember
from capacity.months import add_months, working_days
from core.stages import Stage
from portfolio.models import Initiative

# name, description, members (name, availability %), run demand a month by category (person-days)
TEAMS: list[tuple[str, str, list[tuple[str, int]], dict[str, int]]] = [
    (
        "Digital commerce",
        "Web shop, mobile app and checkout.",
        [
            ("Ines Moreau", 100),
            ("Tom Becker", 100),
            ("Sara Lind", 100),
            ("Yusuf Kaya", 80),
            ("Eva Novak", 100),
            ("Luca Rossi", 100),
            ("Mia Jensen", 60),
        ],
        {"support": 18, "incidents": 10, "maintenance": 12},
    ),
    (
        "Store systems",
        "Point of sale, handhelds, shelf labels and store back office.",
        [
            ("Peter Olsen", 100),
            ("Aiko Tanaka", 100),
            ("Ravi Patel", 100),
            ("Nora Fischer", 80),
            ("Jan Kowalski", 100),
        ],
        {"support": 20, "incidents": 12, "maintenance": 10, "changes": 6},
    ),
    (
        "Supply chain applications",
        "Warehouse, replenishment and supplier systems.",
        [("Helena Costa", 100), ("Omar Haddad", 100), ("Lisa Berg", 80), ("Felix Wagner", 100)],
        {"support": 12, "incidents": 8, "maintenance": 10},
    ),
    (
        "CRM and loyalty",
        "Loyalty app, contact centre and customer service tools.",
        [("Chloe Martin", 100), ("Daniel Kim", 100), ("Greta Holm", 80), ("Marco Bianchi", 100)],
        {"support": 14, "incidents": 6, "maintenance": 8},
    ),
    (
        "Data platform",
        "Data warehouse, pipelines, BI and machine learning: the bottleneck.",
        [
            ("Priya Shah", 100),
            ("Jonas Weber", 100),
            ("Anna Kowalczyk", 80),
            ("Leo Dubois", 100),
            ("Maya Cohen", 60),
        ],
        {"support": 12, "incidents": 8, "maintenance": 12, "changes": 6},
    ),
    (
        "Security operations",
        "Identity, vulnerability management and the security operations centre.",
        [("Erik Strand", 100), ("Fatima Zahra", 100), ("Hugo Laurent", 100), ("Ivy Chen", 80)],
        {"support": 10, "incidents": 18, "maintenance": 8},
    ),
    (
        "ERP and finance systems",
        "Finance ERP, payroll and procurement.",
        [
            ("Karl Meyer", 100),
            ("Olivia Brown", 100),
            ("Sven Nilsson", 100),
            ("Zoe Martin", 80),
            ("Adam Novak", 100),
        ],
        {"support": 16, "incidents": 6, "maintenance": 14},
    ),
    (
        "Cloud infrastructure",
        "Hosting, cloud landing zone and platform operations.",
        [
            ("Bruno Silva", 100),
            ("Clara Vogel", 100),
            ("Dev Anand", 100),
            ("Elena Petrova", 100),
            ("Finn Murphy", 80),
        ],
        {"support": 14, "incidents": 14, "maintenance": 18, "changes": 8},
    ),
    (
        "Network and end-user services",
        "Store networks, Wi-Fi, laptops and printers.",
        [("Gustav Lund", 100), ("Hanna Berg", 100), ("Igor Popov", 100), ("Julia Schmidt", 80)],
        {"support": 24, "incidents": 12, "maintenance": 10},
    ),
    (
        "Service desk",
        "First-line support for stores and head office.",
        [
            ("Kim Larsen", 100),
            ("Lena Hoffmann", 100),
            ("Mateo Garcia", 100),
            ("Nina Wolf", 100),
            ("Oscar Eriksson", 80),
            ("Paula Rossi", 100),
        ],
        {"support": 55, "incidents": 20},
    ),
    (
        "Integration and APIs",
        "Integration platform, EDI and the API gateway.",
        [("Quentin Roux", 100), ("Rita Sousa", 100), ("Stefan Braun", 80)],
        {"support": 8, "incidents": 6, "maintenance": 8},
    ),
    (
        "Enterprise architecture",
        "Architecture reviews, standards and solution design.",
        [("Tara Walsh", 100), ("Ugo Ferri", 80)],
        {"support": 4, "maintenance": 4},
    ),
]
# initiative code prefix -> the teams that deliver it and each one's share of the effort
DELIVERY: dict[str, list[tuple[str, float]]] = {
    "ECOM": [("Digital commerce", 0.7), ("Integration and APIs", 0.2), ("Enterprise architecture", 0.1)],
    "STORE": [("Store systems", 0.6), ("Network and end-user services", 0.3), ("Service desk", 0.1)],
    "SCM": [("Supply chain applications", 0.6), ("Integration and APIs", 0.2), ("Data platform", 0.2)],
    "CRM": [("CRM and loyalty", 0.6), ("Data platform", 0.3), ("Integration and APIs", 0.1)],
    "DATA": [("Data platform", 0.85), ("Cloud infrastructure", 0.15)],
    "SEC": [("Security operations", 0.7), ("Cloud infrastructure", 0.2), ("Enterprise architecture", 0.1)],
    "FIN": [("ERP and finance systems", 0.75), ("Integration and APIs", 0.15), ("Data platform", 0.1)],
    "INFRA": [("Cloud infrastructure", 0.6), ("Network and end-user services", 0.3), ("Service desk", 0.1)],
    "HR": [("Digital commerce", 0.8), ("Service desk", 0.2)],
}
OPEN = (Stage.IDEA, Stage.PROPOSED, Stage.APPROVED, Stage.IN_DELIVERY)
DAY_RATE = Decimal("800")  # internal cost of a person-day
INTERNAL_SHARE = Decimal("0.12")  # the share of a budget spent on the organisation's own people
RUN_MONTHS = (-3, 24)  # run demand from three months ago to two years ahead


def build_capacity(*, today: datetime.date, seed: int = 13) -> int:
    """Load the demo's teams unless one exists; returns how many were added."""
    if Team.objects.exists():
        return 0
    rng = random.Random(seed)
    this_month = today.replace(day=1)
    teams = {}
    for name, description, members, run in TEAMS:
        team = Team.objects.create(name=name, description=description)
        teams[name] = team
        TeamMember.objects.bulk_create(
            TeamMember(team=team, name=person, availability=availability) for person, availability in members
        )
        # one hire joins in four months' time
        TeamMember.objects.create(
            team=team, name=f"New hire ({name})", availability=100, start_month=add_months(this_month, 4)
        )
        lines = []
        for offset in range(RUN_MONTHS[0], RUN_MONTHS[1]):
            month = add_months(this_month, offset)
            for category, days in run.items():
                swing = rng.uniform(0.85, 1.2)
                lines.append(
                    RunDemand(
                        team=team, month=month, category=category, person_days=Decimal(round(days * swing))
                    )
                )
        RunDemand.objects.bulk_create(lines)
        # summer and year-end holidays: the team at 70 % of what its members give in August and December
        capacity_now = sum(a for _, a in members) / 100
        for offset in range(0, 24):
            month = add_months(this_month, offset)
            if month.month in (8, 12):
                holiday = Decimal(str(round(working_days(month) * capacity_now * 0.7, 1)))
                reason = "Summer holidays" if month.month == 8 else "Year-end holidays"
                CapacityOverride.objects.create(team=team, month=month, person_days=holiday, reason=reason)
    estimates = []
    for initiative in Initiative.objects.filter(stage__in=OPEN).order_by("code"):
        shares = DELIVERY.get(initiative.code.split("-")[0])
        if not shares:
            continue
        budget = initiative.budget_capex + initiative.budget_opex
        total: Decimal = (Decimal(budget) * INTERNAL_SHARE / DAY_RATE).quantize(Decimal("1"))
        if initiative.code.startswith("DATA") or initiative.code in ("CRM-04", "SCM-01"):
            total *= 3  # the data work is done in house: the bottleneck
        for team_name, share in shares:
            effort = (total * Decimal(str(share))).quantize(Decimal("0.1"))
            if effort > 0:
                estimates.append(
                    ChangeDemand(initiative=initiative, team=teams[team_name], person_days=effort)
                )
    ChangeDemand.objects.bulk_create(estimates)
    services.respread()
    return len(teams)
