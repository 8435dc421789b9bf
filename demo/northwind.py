"""The demo portfolio: Northwind Retail, a mid-size omnichannel retailer, with one account per role.

`build_demo` writes a complete, believable portfolio (objectives, KPIs and readings, initiatives and their
contributions, milestones, scope changes, risks, artefacts, steering meetings) that exercises every score and
warning signal of the alignment engine. Every date is derived from `as_of` and every random choice comes from
one seeded `random.Random`, so two runs with the same `as_of` on two fresh databases write identical data.
A second run on a database that already holds initiatives changes nothing but makes sure the accounts exist.
"""

from __future__ import annotations

import calendar
import datetime
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from alignment.services import recompute
from core import roles
from core.stages import Stage
from portfolio.models import (
    KPI,
    ActualsSource,
    Artefact,
    ArtefactKind,
    BenefitPeriod,
    BenefitPlan,
    BusinessCase,
    BusinessCaseAmount,
    BusinessCaseLine,
    Category,
    Contribution,
    Direction,
    Initiative,
    InterimTarget,
    Milestone,
    Objective,
    ObjectiveStatus,
    Program,
    Reading,
    ScopeChange,
    ScopeChangeStatus,
    Strength,
)
from portfolio.services.business_cases import Seed, business_cases_seed
from risk.models import Risk, RiskCategory, RiskStatus
from risk.services import tier_policies_ensure
from steering.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    CheckpointReview,
    Committee,
    Decision,
    MeetingStatus,
    SteeringMeeting,
)
from steering.services import agenda_propose, initiative_figures

DEMO_SEED = 20260917
DEMO_PASSWORD = "bearing-demo"
EMAIL_DOMAIN = "northwind.example"
ALREADY_PRESENT = "Demo portfolio already present; nothing changed."

# ---------------------------------------------------------------------------------------------------------
# Dates: everything hangs off `as_of`; the clock is never read here.
# ---------------------------------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def quarter_end(year: int, quarter: int) -> datetime.date:
    return month_end(datetime.date(year, 3 * quarter, 1))


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quarter_end_on_or_before(day: datetime.date) -> datetime.date:
    """The last calendar quarter end that is not after `day`."""
    end = month_end(datetime.date(day.year, (day.month - 1) // 3 * 3 + 3, 1))
    if end <= day:
        return end
    return shift_quarters(end, -1)


def shift_quarters(quarter_end: datetime.date, quarters: int) -> datetime.date:
    """The quarter end `quarters` quarters after (or before) the given quarter end."""
    return month_end(add_months(quarter_end.replace(day=1), 3 * quarters))


def _at(day: datetime.date, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _days(day: datetime.date, days: int) -> datetime.date:
    return day + datetime.timedelta(days=days)


# ---------------------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    username: str
    first_name: str
    last_name: str
    role: str
    job: str

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@{EMAIL_DOMAIN}".lower()


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("cio", "Margaret", "Okafor", roles.EXECUTIVE, "Chief Information Officer"),
    DemoAccount("pmo", "Daniel", "Reyes", roles.PMO, "Head of the Portfolio Office"),
    DemoAccount("manager", "Priya", "Nair", roles.MANAGER, "Senior initiative manager"),
    DemoAccount("steering", "Thomas", "Berger", roles.STEERING, "Head of Retail Finance"),
    DemoAccount("admin", "Alex", "Lindqvist", roles.ADMIN, "Platform administrator"),
    DemoAccount("cfo", "Claire", "Dubois", roles.EXECUTIVE, "Chief Financial Officer"),
    DemoAccount("cmo", "Marcus", "Webb", roles.EXECUTIVE, "Chief Marketing and Digital Officer"),
    DemoAccount("coo", "Sofia", "Alvarez", roles.EXECUTIVE, "Chief Operating Officer"),
    DemoAccount("ciso", "Nadia", "Carter", roles.EXECUTIVE, "Chief Information Security Officer"),
    DemoAccount("lwalker", "Liam", "Walker", roles.MANAGER, "Initiative manager, finance and stores"),
    DemoAccount("gkim", "Grace", "Kim", roles.MANAGER, "Initiative manager, supply chain"),
    DemoAccount("rsingh", "Rahul", "Singh", roles.MANAGER, "Initiative manager, digital"),
    DemoAccount("mrossi", "Marco", "Rossi", roles.MANAGER, "Initiative manager, data"),
    DemoAccount("omensah", "Owen", "Mensah", roles.MANAGER, "Head of IT Service Management"),
    DemoAccount("hfischer", "Hannah", "Fischer", roles.STEERING, "Head of Store Operations"),
    DemoAccount("jlarsen", "Julia", "Larsen", roles.STEERING, "Head of E-commerce Operations"),
    DemoAccount("pmorgan", "Peter", "Morgan", roles.STEERING, "Head of Logistics"),
)


# ---------------------------------------------------------------------------------------------------------
# Strategy: themes, objectives, KPIs
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveSpec:
    code: str
    parent: str | None
    title: str
    owner: str
    weight: str
    description: str
    retired: bool = False


# fmt: off
OBJECTIVES: tuple[ObjectiveSpec, ...] = (
    # code, parent, title, owner, local weight, description
    ObjectiveSpec("T1", None, "Win in digital commerce", "cmo", "30",
                  "Make the web shop and the app the first choice of our customers, not a side channel."),
    ObjectiveSpec("O1.1", "T1", "Grow online market share by 15%", "cmo", "50",
                  "From 8.0% to 9.2% of the Benelux online market for home, garden and grocery, measured by "
                  "the quarterly market panel."),
    ObjectiveSpec("O1.1.1", "O1.1", "Grow the app to 30% of online sales", "cmo", "100",
                  "App customers buy more often and respond to offers; the app should carry almost a third "
                  "of online sales."),
    ObjectiveSpec("O1.2", "T1", "Cut cart abandonment by 20%", "cmo", "30",
                  "Seven in ten online baskets never reach payment. Remove the friction in checkout, payment "
                  "and delivery choice."),
    ObjectiveSpec("O1.3", "T1", "Launch a third-party marketplace", "cmo", "20",
                  "Extend the online range with third-party sellers. Retired in the strategy refresh: focus "
                  "on our own range first.", retired=True),
    ObjectiveSpec("T2", None, "Run efficient, modern stores", "coo", "25",
                  "Our 310 stores remain the backbone of the business; make them cheaper to run and easier "
                  "to shop."),
    ObjectiveSpec("O2.1", "T2", "Cut store operating cost per m² by 8%", "coo", "60",
                  "Labour, energy and admin per square metre of sales floor, at constant store count."),
    ObjectiveSpec("O2.2", "T2", "Keep checkout queues under 3 minutes", "coo", "40",
                  "Average wait at the tills at peak hours, measured by footfall sensors at the checkout "
                  "line."),
    ObjectiveSpec("T3", None, "Build a resilient supply chain", "coo", "20",
                  "Keep shelves full and deliveries predictable, even when suppliers and logistics are "
                  "disrupted."),
    ObjectiveSpec("O3.1", "T3", "Raise on-shelf availability to 97%", "coo", "55",
                  "Share of audited shelf positions that hold the product when the store opens."),
    ObjectiveSpec("O3.2", "T3", "Cut supplier lead time by 5 days", "coo", "45",
                  "Average days from purchase order to goods received in the distribution centres."),
    ObjectiveSpec("O3.2.1", "O3.2", "Onboard the top 50 suppliers to EDI ordering", "coo", "100",
                  "The 50 largest suppliers deliver 70% of volume; they should receive orders and send "
                  "shipping notices by EDI."),
    ObjectiveSpec("T4", None, "Know and keep our customers", "cmo", "15",
                  "Recognise customers in every channel and give them reasons to come back."),
    ObjectiveSpec("O4.1", "T4", "Grow the loyalty programme to 3 million active members", "cmo", "60",
                  "Members who shopped at least once in the last 90 days with their loyalty card or app."),
    ObjectiveSpec("O4.2", "T4", "Raise NPS by 10 points", "cmo", "40",
                  "Net Promoter Score from the post-purchase survey across web, app and stores."),
    ObjectiveSpec("T5", None, "Be secure, compliant and data-driven", "cio", "10",
                  "Protect customer and card data, keep core systems running and decide with trusted data."),
    ObjectiveSpec("O5.1", "T5", "Pass the PCI-DSS audit", "ciso", "45",
                  "Close every open finding of the last assessment and pass the next annual PCI-DSS audit "
                  "without exceptions."),
    ObjectiveSpec("O5.2", "T5", "Build a trusted enterprise data platform", "cio", "35",
                  "One governed platform for sales, stock and customer data, replacing the departmental data "
                  "marts."),
    ObjectiveSpec("O5.3", "T5", "Keep core systems 99.9% available", "cio", "20",
                  "Tills, payments, web shop and warehouse systems available 99.9% of trading hours."),
)
# fmt: on

# Trajectories of KPI readings, as a fraction of the way from baseline to target after k of 12 quarters.
ON_TRACK, AHEAD, AT_RISK, FLAT, WRONG_WAY, NO_DATA = (
    "on_track",
    "ahead",
    "at_risk",
    "flat",
    "wrong_way",
    "no_data",
)
READINGS_PER_KPI = 8
QUARTERS_TO_TARGET = 12  # baseline 8 quarters before the latest reading, target 4 quarters after it


@dataclass(frozen=True)
class KPISpec:
    objective: str
    name: str
    unit: str
    direction: str
    baseline: str
    target: str
    decimals: int
    trajectory: str
    source: str
    description: str


INC, DEC = Direction.INCREASE, Direction.DECREASE

# fmt: off
KPIS: tuple[KPISpec, ...] = (
    # objective, name, unit, direction, baseline, target, decimals kept, trajectory, source, description
    KPISpec("O1.1", "Online market share", "%", INC, "8.0", "9.2", 1, ON_TRACK,
            "Market panel (quarterly)", "Our share of Benelux online spend in our categories."),
    KPISpec("O1.1", "Online revenue (trailing 12 months)", "EUR", INC, "412000000", "520000000", -5, ON_TRACK,
            "Finance monthly close", "Web and app revenue net of returns over the last 12 months."),
    KPISpec("O1.1.1", "Mobile app share of online sales", "%", INC, "18.0", "30.0", 1, AHEAD,
            "Web and app analytics", "Share of online revenue placed in the iOS and Android apps."),
    KPISpec("O1.2", "Cart abandonment rate", "%", DEC, "72.0", "57.6", 1, FLAT,
            "Web and app analytics", "Share of sessions with a basket that do not reach order confirmation."),
    KPISpec("O1.2", "Checkout conversion rate", "%", INC, "2.10", "2.60", 2, ON_TRACK,
            "Web and app analytics", "Orders per visit to the web shop and app."),
    KPISpec("O2.1", "Store operating cost per m²", "EUR", DEC, "412", "379", 0, ON_TRACK,
            "Finance monthly close",
            "Annualised store labour, energy and admin cost per square metre of sales floor."),
    KPISpec("O2.1", "Store staff hours on manual tasks", "hours/week per store", DEC,
            "46.0", "24.0", 1, ON_TRACK,
            "Store operations dashboard",
            "Label changes, manual ordering and paper stock counts, per store per week."),
    KPISpec("O2.2", "Average checkout queue time", "minutes", DEC, "6.5", "3.0", 1, AT_RISK,
            "Store footfall sensors",
            "Average wait at staffed and self-checkout tills between 16:00 and 19:00."),
    KPISpec("O2.2", "Self-checkout share of transactions", "%", INC, "12.0", "35.0", 1, ON_TRACK,
            "POS transaction log", "Store transactions completed at self-checkout lanes."),
    KPISpec("O3.1", "On-shelf availability", "%", INC, "93.5", "97.0", 1, WRONG_WAY,
            "Store shelf audits", "Audited shelf positions holding the product at store opening."),
    KPISpec("O3.1", "Forecast accuracy (weekly, SKU-store)", "%", INC, "61.0", "75.0", 1, ON_TRACK,
            "Planning system",
            "One minus the weighted absolute percentage error of weekly forecasts per product and store."),
    KPISpec("O3.2", "Average supplier lead time", "days", DEC, "21.0", "16.0", 1, ON_TRACK,
            "Purchasing system", "Days from purchase order to goods received, weighted by order value."),
    KPISpec("O3.2.1", "Suppliers ordering by EDI", "suppliers", INC, "12", "50", 0, AHEAD,
            "EDI gateway", "Top-50 suppliers exchanging orders, shipping notices and invoices by EDI."),
    KPISpec("O4.1", "Active loyalty members", "members", INC, "1900000", "3000000", -3, ON_TRACK,
            "Loyalty CRM", "Members with a card or app transaction in the last 90 days."),
    KPISpec("O4.1", "Loyalty share of revenue", "%", INC, "38.0", "50.0", 1, FLAT,
            "Loyalty CRM", "Share of revenue from identified loyalty members, all channels."),
    KPISpec("O4.2", "Net Promoter Score", "NPS points", INC, "21", "31", 0, AT_RISK,
            "Customer survey", "Promoters minus detractors in the post-purchase survey."),
    KPISpec("O5.1", "Open PCI-DSS audit findings", "findings", DEC, "34", "0", 0, ON_TRACK,
            "QSA interim assessment",
            "Findings of the last PCI-DSS assessment not yet closed and evidenced."),
    KPISpec("O5.2", "Reports served from the data platform", "%", INC, "0", "80", 0, NO_DATA,
            "Data platform usage log",
            "Share of the 600 management reports that run on the enterprise data platform."),
    KPISpec("O5.3", "Mean time to restore (P1 incidents)", "minutes", DEC, "190", "60", 0, ON_TRACK,
            "IT service management", "Average minutes from a priority-1 incident to service restored."),
    KPISpec("O5.3", "Core systems availability", "%", INC, "99.50", "99.90", 2, ON_TRACK,
            "IT service management",
            "Availability of tills, payments, web shop and warehouse systems during trading hours."),
)
# fmt: on

# Waypoints for one KPI: (quarters after the baseline, value).
INTERIM_TARGETS = {"Average supplier lead time": ((4, "19.5"), (8, "17.5"))}

# ---------------------------------------------------------------------------------------------------------
# Initiatives
# ---------------------------------------------------------------------------------------------------------

PROGRAMS: tuple[tuple[str, str, str], ...] = (
    ("Digital Commerce", "cmo", "Web shop, app, checkout and the commerce platform behind them."),
    ("Store Modernisation", "coo", "Tills, devices, labels and the systems that run the stores."),
    ("Supply Chain", "coo", "Forecasting, replenishment, warehouses and supplier collaboration."),
    ("Customer & Loyalty", "cmo", "Loyalty programme, customer service and the single customer view."),
    ("Data & Analytics", "cio", "The enterprise data platform, BI and data governance."),
    ("Security & Compliance", "ciso", "PCI-DSS, identity, security operations and privacy."),
    ("Technology Foundations", "cio", "ERP, hosting, networks and workplace technology."),
)


@dataclass(frozen=True)
class C:
    """A contribution: objective code, strength, rationale, optionally a KPI name and its expected change."""

    objective: str
    strength: str
    rationale: str
    kpi: str | None = None
    change: str | None = None


@dataclass(frozen=True)
class InitiativeSpec:
    code: str
    title: str
    description: str
    program: str | None
    category: str
    stage: str
    capex: int  # thousands of EUR
    opex: int
    sponsor: str | None
    manager: str | None
    start: int  # planned start, months from the month of as_of
    months: int  # planned duration
    benefit: int  # expected annual benefit, thousands of EUR
    clarity: int | None
    criticality: int
    contributions: tuple[C, ...] = ()
    sustainment: str | None = None
    go_live: int | None = None  # days from as_of; derived from the planned end when absent
    spent: float | None = None  # actual cost as a share of the budget
    overrun: float = 1.0  # forecast cost as a share of the budget
    slip: int = 0  # days the plan slips by the last milestone
    stale_forecasts: bool = False  # milestone forecasts not touched for more than 60 days
    milestones: tuple[str, ...] = ()
    missing_artefacts: tuple[str, ...] = ()


S, M, W = Strength.STRONG, Strength.MODERATE, Strength.WEAK
RUN, GROW, TRANSFORM = Category.RUN, Category.GROW, Category.TRANSFORM
IDEA, PROPOSED, APPROVED, IN_DELIVERY, LIVE, CLOSED, CANCELLED = (
    Stage.IDEA,
    Stage.PROPOSED,
    Stage.APPROVED,
    Stage.IN_DELIVERY,
    Stage.LIVE,
    Stage.CLOSED,
    Stage.CANCELLED,
)
DC, SM, SC, CL, DA, SEC, TF = (name for name, _owner, _description in PROGRAMS)

ORPHANS = ("STORE-05", "INFRA-04", "HR-01")
WEAK_BIG_SPENDER = "FIN-01"
LIVE_SOON_WITHOUT_OWNER = "SEC-02"
CHURNING_SCOPE = "ECOM-01"
# live for a year, and nobody has entered what its benefit plan brought: the live_no_benefit_actuals signal
UNMEASURED_BENEFITS = "STORE-03"

# fmt: off
INITIATIVES: tuple[InitiativeSpec, ...] = (
    # Digital Commerce
    InitiativeSpec(
        code="ECOM-01", title="One-page checkout", program=DC, category=GROW, stage=IN_DELIVERY,
        description=(
            "Replaces the five-step checkout with a single page that keeps basket, delivery and payment in "
            "view. Guest checkout and saved payment methods ship in the same release."
        ),
        capex=550, opex=120, benefit=1400, sponsor="cmo", manager="manager",
        start=-9, months=13, clarity=3, criticality=4, sustainment="jlarsen",
        spent=0.62, overrun=1.15, slip=35,
        contributions=(
            C("O1.2", S, "One-page checkout removes two steps where 38% of carts are abandoned today; the "
                         "pilot in Belgium cut abandonment by 6 points.",
              kpi="Cart abandonment rate", change="-6"),
            C("O1.1", M, "Each point of recovered conversion adds about EUR 4M of online revenue, which is "
                         "how we take share from the pure players.",
              kpi="Online revenue (trailing 12 months)", change="8000000"),
        ),
    ),
    InitiativeSpec(
        code="ECOM-02", title="Mobile app 3.0", program=DC, category=GROW, stage=IN_DELIVERY,
        description=(
            "Rebuilds the iOS and Android apps natively on a shared design system, with scan-and-go, wish "
            "lists and the loyalty wallet built in."
        ),
        capex=1700, opex=350, benefit=3200, sponsor="cmo", manager="manager",
        start=-11, months=16, clarity=4, criticality=3, sustainment="jlarsen", spent=0.55,
        milestones=(
            "UX design sign-off", "Beta with 2,000 customers", "Feature complete", "App store approval",
            "Go-live",
        ),
        contributions=(
            C("O1.1.1", S, "App customers buy 1.8 times as often as web customers; a faster native app with "
                           "push offers is the main lever for a 30% app share.",
              kpi="Mobile app share of online sales", change="7"),
            C("O4.1", M, "The loyalty wallet moves the card into the app, where joining takes one tap "
                         "instead of a paper form at the till."),
        ),
    ),
    InitiativeSpec(
        code="ECOM-03", title="Product search relevance", program=DC, category=GROW, stage=LIVE,
        description=(
            "Machine-learned ranking for on-site search, trained on clicks and purchases, with synonyms for "
            "40,000 product terms."
        ),
        capex=450, opex=90, benefit=900, sponsor="cmo", manager="rsingh",
        start=-22, months=10, clarity=4, criticality=3, sustainment="jlarsen", spent=0.97,
        contributions=(
            C("O1.2", S, "Shoppers who search convert three times as often as browsers; relevance fixes the "
                         "14% of searches that returned nothing useful.",
              kpi="Checkout conversion rate", change="0.2"),
            C("O1.1", M, "Better search lifts online revenue directly: the A/B test showed 2.3% more revenue "
                         "per visit."),
        ),
    ),
    InitiativeSpec(
        code="ECOM-04", title="Click-and-collect in 2 hours", program=DC, category=GROW, stage=LIVE,
        description=(
            "Lets online shoppers collect from 310 stores two hours after ordering, picked from store stock "
            "with handheld pick lists."
        ),
        capex=1000, opex=200, benefit=2600, sponsor="coo", manager="lwalker",
        start=-20, months=12, clarity=4, criticality=4, sustainment="hfischer",
        spent=1.04, overrun=1.04, slip=21,
        contributions=(
            C("O1.1", S, "Same-day collection is something pure players cannot offer; 22% of collecting "
                         "customers add items in store.", kpi="Online market share", change="0.4"),
            C("O2.1", W, "Picking from store stock uses idle staff hours in the morning, a small gain in "
                         "store productivity."),
        ),
    ),
    InitiativeSpec(
        code="ECOM-05", title="Headless commerce platform", program=DC, category=TRANSFORM, stage=IN_DELIVERY,
        description=(
            "Moves the web shop from the monolithic commerce suite to an API-first platform, so that web, "
            "app and in-store screens share one catalogue, basket and promotion engine."
        ),
        capex=2600, opex=500, benefit=4500, sponsor="cio", manager="rsingh",
        start=-14, months=24, clarity=3, criticality=5, sustainment="jlarsen",
        spent=0.52, overrun=1.08, slip=40, stale_forecasts=True,
        milestones=(
            "Architecture sign-off", "Catalogue migrated", "Checkout on new platform",
            "Performance test passed", "Go-live",
        ),
        contributions=(
            C("O1.1", S, "Releases go from every six weeks to daily, so trading can launch campaigns and "
                         "features at the pace of the market.",
              kpi="Online revenue (trailing 12 months)", change="15000000"),
            C("O1.2", M, "Pages on the new front end load in 1.1 s against 3.4 s today, and every second of "
                         "load time costs about 7% of conversions.",
              kpi="Checkout conversion rate", change="0.15"),
        ),
    ),
    InitiativeSpec(
        code="ECOM-06", title="Buy now, pay later at checkout", program=DC, category=GROW, stage=PROPOSED,
        description=(
            "Adds a buy-now-pay-later option at checkout through our payment service provider, for baskets "
            "over EUR 100."
        ),
        capex=140, opex=40, benefit=600, sponsor="cmo", manager="manager",
        start=2, months=5, clarity=3, criticality=2,
        contributions=(
            C("O1.2", M, "Payment options are the third reason for abandonment in exit surveys; pay-later "
                         "covers the large baskets in furniture and electronics."),
        ),
    ),
    InitiativeSpec(
        code="ECOM-07", title="AI shopping assistant pilot", program=DC, category=TRANSFORM, stage=IDEA,
        description=(
            "A conversational assistant on the web shop that answers product questions and builds baskets "
            "for recipes and DIY projects. Vendor demos only so far."
        ),
        capex=200, opex=60, benefit=400, sponsor="cmo", manager=None,
        start=4, months=6, clarity=1, criticality=2,
        contributions=(
            C("O4.2", W, "It could answer the product questions that now go to the contact centre, but its "
                         "effect on satisfaction is unproven."),
        ),
    ),
    InitiativeSpec(
        code="ECOM-08", title="Third-party marketplace", program=DC, category=TRANSFORM, stage=CANCELLED,
        description=(
            "Opens the web shop to third-party sellers to extend the range without stock risk. Stopped by "
            "the steering committee when the marketplace objective was retired."
        ),
        capex=700, opex=150, benefit=2000, sponsor="cmo", manager="rsingh",
        start=-16, months=14, clarity=2, criticality=3, spent=0.16,
        contributions=(
            C("O1.3", S, "Third-party sellers would add 200,000 products without inventory, which is the "
                         "whole point of the marketplace objective."),
        ),
    ),
    # Store Modernisation
    InitiativeSpec(
        code="STORE-01", title="Self-checkout rollout to 120 stores",
        program=SM, category=GROW, stage=IN_DELIVERY,
        description=(
            "Installs six to ten self-checkout lanes in each of the 120 busiest stores, with age checks "
            "through a staff app and weighing-scale security."
        ),
        capex=2900, opex=250, benefit=3800, sponsor="coo", manager="manager",
        start=-12, months=20, clarity=5, criticality=4, sustainment="hfischer", spent=0.48,
        milestones=("Pilot in 5 stores", "Wave 1: 40 stores", "Wave 2: 80 stores", "All 120 stores live"),
        contributions=(
            C("O2.2", S, "Self-checkout takes basket-only shoppers out of the staffed queue; pilot stores "
                         "cut the average wait from 6.5 to 3.8 minutes.",
              kpi="Self-checkout share of transactions", change="18"),
            C("O2.1", M, "Each store moves about 60 till hours a week to replenishment, which lowers cost "
                         "per square metre.", kpi="Store operating cost per m²", change="-9"),
        ),
    ),
    InitiativeSpec(
        code="STORE-02", title="Electronic shelf labels", program=SM, category=GROW, stage=APPROVED,
        description=(
            "Replaces paper shelf labels with electronic labels that update prices centrally and show pick "
            "locations for online orders."
        ),
        capex=2100, opex=150, benefit=1700, sponsor="coo", manager="lwalker",
        start=1, months=18, clarity=2, criticality=3, spent=0.02,
        contributions=(
            C("O2.1", S, "Staff spend 11 hours per store per week changing paper labels; electronic labels "
                         "remove that work.", kpi="Store staff hours on manual tasks", change="-11"),
            C("O3.1", W, "Labels can flash when a shelf is empty, which may help availability, but the "
                         "vendor has no reference for this yet."),
        ),
    ),
    InitiativeSpec(
        code="STORE-03", title="Store network and Wi-Fi refresh", program=SM, category=RUN, stage=LIVE,
        description=(
            "Replaces end-of-life switches and access points in 310 stores and moves store traffic to a "
            "managed Wi-Fi service."
        ),
        capex=1000, opex=200, benefit=150, sponsor="cio", manager="omensah",
        start=-26, months=14, clarity=5, criticality=4, sustainment="omensah", spent=0.96, slip=45,
        contributions=(
            C("O5.3", M, "The old switches caused 40% of store P1 incidents last year; new hardware with "
                         "remote management shortens restores.",
              kpi="Mean time to restore (P1 incidents)", change="-30"),
            C("O2.2", W, "Reliable Wi-Fi is a precondition for handhelds and self-checkout, but it does not "
                         "shorten queues by itself."),
        ),
    ),
    InitiativeSpec(
        code="STORE-04", title="Workforce scheduling", program=SM, category=GROW, stage=IN_DELIVERY,
        description=(
            "Schedules store staff from footfall and sales forecasts instead of fixed rosters, with shift "
            "swaps in a mobile app."
        ),
        capex=620, opex=160, benefit=1300, sponsor="coo", manager="manager",
        start=-7, months=12, clarity=4, criticality=3, sustainment="hfischer", spent=0.45,
        contributions=(
            C("O2.1", S, "Matching rosters to forecast footfall cuts overstaffed hours by about 4%, the "
                         "largest single lever on store cost.",
              kpi="Store operating cost per m²", change="-8"),
            C("O2.2", M, "Forecast-driven rosters put more cashiers on the tills at peak hours, when the "
                         "queues form."),
        ),
    ),
    InitiativeSpec(
        code="STORE-05", title="Store handheld device refresh", program=SM, category=RUN, stage=IN_DELIVERY,
        description=(
            "Replaces 2,400 end-of-life handheld scanners used for stock counts, price checks and "
            "click-and-collect picking."
        ),
        capex=540, opex=60, benefit=0, sponsor="coo", manager="omensah",
        start=-5, months=8, clarity=4, criticality=3, sustainment="hfischer", spent=0.4,
    ),
    InitiativeSpec(
        code="STORE-06", title="Smart energy management in stores", program=SM, category=GROW, stage=PROPOSED,
        description=(
            "Connects refrigeration, lighting and heating in 150 stores to a central energy management "
            "system that trims consumption outside trading hours."
        ),
        capex=700, opex=80, benefit=900, sponsor="coo", manager="lwalker",
        start=3, months=12, clarity=3, criticality=2,
        contributions=(
            C("O2.1", S, "Energy is 14% of store operating cost, and the vendor's reference retailers saved "
                         "12 to 18% of store energy.", kpi="Store operating cost per m²", change="-6"),
        ),
    ),
    InitiativeSpec(
        code="STORE-07", title="Point-of-sale replacement", program=SM, category=RUN, stage=IN_DELIVERY,
        description=(
            "Replaces the 15-year-old point-of-sale software and 2,900 tills, whose vendor support ends next "
            "year."
        ),
        capex=2000, opex=400, benefit=300, sponsor="cfo", manager="lwalker",
        start=-10, months=18, clarity=4, criticality=5, sustainment="hfischer",
        spent=0.5, overrun=1.05, slip=25,
        contributions=(
            C("O5.1", M, "The new tills use point-to-point encrypted card readers, which takes them out of "
                         "PCI scope."),
            C("O2.2", M, "A basket takes 20% less time to scan and pay on the new till software.",
              kpi="Average checkout queue time", change="-0.5"),
        ),
    ),
    # Supply Chain
    InitiativeSpec(
        code="SCM-01", title="Demand forecasting with machine learning",
        program=SC, category=TRANSFORM, stage=IN_DELIVERY,
        description=(
            "Replaces spreadsheet forecasts with a machine-learning model per product and store that uses "
            "weather, promotions and local events."
        ),
        capex=1300, opex=300, benefit=3500, sponsor="coo", manager="gkim",
        start=-13, months=18, clarity=4, criticality=4, sustainment="pmorgan", spent=0.6, slip=15,
        contributions=(
            C("O3.1", S, "Better forecasts put stock where demand will be; the proof of concept lifted "
                         "weekly accuracy from 61% to 70% in fresh food.",
              kpi="Forecast accuracy (weekly, SKU-store)", change="9"),
            C("O2.1", W, "Fewer emergency deliveries and less waste trim store costs slightly."),
        ),
    ),
    InitiativeSpec(
        code="SCM-02", title="Supplier EDI onboarding", program=SC, category=GROW, stage=LIVE,
        description=(
            "Moves purchase orders, advance shipping notices and invoices with the top suppliers from e-mail "
            "and portals to EDI messages."
        ),
        capex=310, opex=70, benefit=700, sponsor="coo", manager="gkim",
        start=-24, months=12, clarity=5, criticality=3, sustainment="pmorgan", spent=0.93,
        contributions=(
            C("O3.2.1", S, "Each supplier moved to EDI receives orders instantly instead of after a daily "
                           "batch; onboarding them is exactly what the objective counts.",
              kpi="Suppliers ordering by EDI", change="30"),
            C("O3.2", M, "Sending orders by EDI takes about 1.5 days out of the order-to-delivery cycle.",
              kpi="Average supplier lead time", change="-1.5"),
        ),
    ),
    InitiativeSpec(
        code="SCM-03", title="Warehouse management system upgrade",
        program=SC, category=RUN, stage=IN_DELIVERY,
        description=(
            "Upgrades the warehouse management system of both national distribution centres to the vendor's "
            "supported cloud release, including voice picking."
        ),
        capex=1600, opex=300, benefit=800, sponsor="coo", manager="gkim",
        start=-15, months=16, clarity=3, criticality=5, sustainment="pmorgan",
        spent=0.78, overrun=1.18, slip=60, stale_forecasts=True,
        contributions=(
            C("O3.1", M, "Voice picking cuts the picking errors that show up as empty shelves in stores.",
              kpi="On-shelf availability", change="0.8"),
            C("O3.2", M, "Faster goods-in processing books supplier deliveries into stock on the day they "
                         "arrive."),
        ),
    ),
    InitiativeSpec(
        code="SCM-04", title="Inbound logistics control tower", program=SC, category=GROW, stage=APPROVED,
        description=(
            "Tracks every inbound container and truck and alerts planners to late arrivals. Scope is still "
            "being worked out with the logistics partners."
        ),
        capex=750, opex=200, benefit=1100, sponsor="coo", manager="gkim",
        start=1, months=12, clarity=1, criticality=3, spent=0.03,
        contributions=(
            C("O3.2", S, "Seeing late shipments ten days earlier lets planners re-route or expedite before "
                         "shelves run empty.", kpi="Average supplier lead time", change="-2"),
            C("O3.1", M, "Early warning of late inbound stock gives stores time to substitute products."),
        ),
    ),
    InitiativeSpec(
        code="SCM-05", title="Automated store replenishment", program=SC, category=GROW, stage=LIVE,
        description=(
            "Generates store orders automatically from sales, stock and shelf capacity instead of manual "
            "ordering by department managers."
        ),
        capex=600, opex=120, benefit=1500, sponsor="coo", manager="gkim",
        start=-21, months=11, clarity=4, criticality=4, sustainment="hfischer", spent=0.98,
        contributions=(
            C("O3.1", S, "Automatic orders react to sales the same day, where manual ordering lagged by up "
                         "to a week.", kpi="On-shelf availability", change="1.5"),
            C("O2.1", M, "Department managers save about five hours a week of manual ordering.",
              kpi="Store staff hours on manual tasks", change="-5"),
        ),
    ),
    InitiativeSpec(
        code="SCM-06", title="Route optimisation for home delivery", program=SC, category=GROW, stage=IDEA,
        description=(
            "Plans home-delivery routes and time slots dynamically, so that vans carry more drops per route."
        ),
        capex=250, opex=50, benefit=500, sponsor=None, manager=None,
        start=6, months=6, clarity=None, criticality=2,
        contributions=(
            C("O1.1", W, "More delivery slots at the same cost could support online growth, but the link to "
                         "market share is indirect."),
        ),
    ),
    # Customer & Loyalty
    InitiativeSpec(
        code="CRM-01", title="Loyalty app relaunch", program=CL, category=GROW, stage=IN_DELIVERY,
        description=(
            "Relaunches the loyalty programme with personalised offers in the app, digital receipts and "
            "tiered rewards."
        ),
        capex=1100, opex=300, benefit=2400, sponsor="cmo", manager="manager",
        start=-8, months=12, clarity=4, criticality=3, sustainment="jlarsen", spent=0.5, slip=20,
        contributions=(
            C("O4.1", S, "Personalised offers doubled the active rate in the test group, and joining takes "
                         "one minute in the app instead of a paper form.",
              kpi="Active loyalty members", change="500000"),
            C("O4.2", M, "Members who redeem rewards score 18 points higher on NPS than other customers.",
              kpi="Net Promoter Score", change="3"),
        ),
    ),
    InitiativeSpec(
        code="CRM-02", title="Contact-centre platform", program=CL, category=RUN, stage=LIVE,
        description=(
            "Replaces the on-premise telephony and ticketing of the contact centre with a cloud platform "
            "that handles phone, chat and e-mail in one queue."
        ),
        capex=600, opex=250, benefit=400, sponsor="cmo", manager="rsingh",
        start=-30, months=14, clarity=4, criticality=4, sustainment="jlarsen",
        spent=1.02, overrun=1.02, slip=10,
        contributions=(
            C("O4.2", M, "One queue for all channels with the customer's orders on screen cuts handling time "
                         "and repeat contacts.", kpi="Net Promoter Score", change="2"),
        ),
    ),
    InitiativeSpec(
        code="CRM-03", title="Voice-of-customer survey programme", program=CL, category=RUN, stage=LIVE,
        description=(
            "Sends a short survey after every online order and a sample of store visits, and routes "
            "detractors to a call-back team."
        ),
        capex=30, opex=60, benefit=150, sponsor="cmo", manager="rsingh",
        start=-18, months=4, clarity=5, criticality=2, sustainment="jlarsen", spent=0.9,
        contributions=(
            C("O4.2", M, "Calling detractors back within 48 hours wins about a third of them back, and the "
                         "survey itself is the source of the NPS reading."),
        ),
    ),
    InitiativeSpec(
        code="CRM-04", title="Customer data platform", program=CL, category=TRANSFORM, stage=APPROVED,
        description=(
            "Builds a single view of each customer across web, app, stores and contact centre, with consent, "
            "so that marketing can target offers across channels."
        ),
        capex=1150, opex=350, benefit=2200, sponsor="cmo", manager="rsingh",
        start=2, months=15, clarity=2, criticality=3, spent=0.02,
        contributions=(
            C("O4.1", S, "Today 40% of loyalty members cannot be matched to their online account; one "
                         "profile makes cross-channel offers possible.",
              kpi="Loyalty share of revenue", change="4"),
            C("O5.2", M, "Customer profiles become a governed data product on the enterprise data platform."),
        ),
    ),
    # Data & Analytics
    InitiativeSpec(
        code="DATA-01", title="Cloud data platform", program=DA, category=TRANSFORM, stage=IN_DELIVERY,
        description=(
            "Moves the data warehouse and 600 reports to a cloud data platform with governed data products "
            "for sales, stock and customers."
        ),
        capex=1700, opex=450, benefit=1200, sponsor="cio", manager="mrossi",
        start=-10, months=20, clarity=3, criticality=4, sustainment="mrossi", spent=0.45, slip=30,
        milestones=(
            "Landing zone ready", "Sales data product", "Stock data product", "Finance reports migrated",
            "Data marts switched off",
        ),
        missing_artefacts=(ArtefactKind.ARCHITECTURE_REVIEW,),
        contributions=(
            C("O5.2", S, "The platform is the objective's core deliverable: trusted data products replace "
                         "the 14 departmental data marts.",
              kpi="Reports served from the data platform", change="60"),
            C("O3.1", W, "Daily instead of weekly stock data may help availability analysis, but nobody owns "
                         "that use case yet."),
        ),
    ),
    InitiativeSpec(
        code="DATA-02", title="Self-service BI rollout", program=DA, category=GROW, stage=APPROVED,
        description=(
            "Rolls out a self-service BI tool with certified data sets and trains 400 analysts in the "
            "business."
        ),
        capex=180, opex=140, benefit=400, sponsor="cfo", manager="mrossi",
        start=1, months=8, clarity=4, criticality=2,
        contributions=(
            C("O5.2", S, "Certified data sets on the platform replace spreadsheet extracts, moving report "
                         "use onto governed data.", kpi="Reports served from the data platform", change="20"),
        ),
    ),
    InitiativeSpec(
        code="DATA-03", title="Data governance and quality", program=DA, category=RUN, stage=IN_DELIVERY,
        description=(
            "Appoints data owners for the core domains, defines quality rules and monitors them daily."
        ),
        capex=120, opex=180, benefit=0, sponsor="cfo", manager="mrossi",
        start=-9, months=12, clarity=3, criticality=3, sustainment="mrossi", spent=0.6,
        contributions=(
            C("O5.2", M, "Named owners and quality rules are what make data on the platform trusted enough "
                         "to use."),
            C("O5.1", W, "Classifying data helps to scope cardholder data for the PCI audit."),
        ),
    ),
    InitiativeSpec(
        code="DATA-04", title="Pricing analytics", program=DA, category=GROW, stage=PROPOSED,
        description=(
            "Price elasticity models per category and region that recommend price changes and markdowns."
        ),
        capex=450, opex=110, benefit=1800, sponsor="cfo", manager="mrossi",
        start=3, months=9, clarity=3, criticality=2,
        contributions=(
            C("O1.1", M, "Sharper online prices on the 2,000 most-compared products close the price gap that "
                         "loses share to pure players."),
        ),
    ),
    # Security & Compliance
    InitiativeSpec(
        code="SEC-01", title="PCI-DSS remediation", program=SEC, category=RUN, stage=IN_DELIVERY,
        description=(
            "Closes the 34 findings of the last PCI-DSS assessment: segmentation of the card data network, "
            "logging and key rotation."
        ),
        capex=650, opex=250, benefit=0, sponsor="ciso", manager="omensah",
        start=-11, months=14, clarity=5, criticality=5, sustainment="omensah", spent=0.7,
        contributions=(
            C("O5.1", S, "Every closed finding is a condition for passing the audit, and the programme "
                         "covers all 34 open findings.", kpi="Open PCI-DSS audit findings", change="-25"),
        ),
    ),
    InitiativeSpec(
        code="SEC-02", title="Payment card tokenisation", program=SEC, category=RUN, stage=IN_DELIVERY,
        description=(
            "Replaces stored card numbers with tokens from the payment provider for one-click payments and "
            "refunds, taking the order database out of PCI scope."
        ),
        capex=380, opex=90, benefit=250, sponsor="ciso", manager="omensah",
        start=-8, months=9, clarity=4, criticality=5, go_live=18, spent=0.82,
        contributions=(
            C("O5.1", S, "Tokenisation removes stored card numbers, which closes 9 findings and halves the "
                         "audit scope.", kpi="Open PCI-DSS audit findings", change="-9"),
            C("O1.2", M, "Saved, tokenised cards allow one-click repeat payments, so card entry disappears "
                         "from checkout.", kpi="Cart abandonment rate", change="-1"),
        ),
    ),
    InitiativeSpec(
        code="SEC-03", title="Identity and access management", program=SEC, category=RUN, stage=LIVE,
        description=(
            "Single sign-on and multi-factor authentication for all 4,500 head-office and store staff "
            "accounts, with automatic processing of leavers."
        ),
        capex=420, opex=160, benefit=100, sponsor="ciso", manager="omensah",
        start=-20, months=12, clarity=4, criticality=4, sustainment="omensah", spent=0.95, slip=14,
        contributions=(
            C("O5.1", M, "PCI-DSS requirement 8 demands multi-factor authentication for all access to the "
                         "card data environment."),
            C("O5.3", W, "Fewer shared admin accounts lower the chance of configuration mistakes like the "
                         "ones behind two outages last year."),
        ),
    ),
    InitiativeSpec(
        code="SEC-04", title="Managed security operations centre", program=SEC, category=RUN, stage=APPROVED,
        description=(
            "Contracts a 24/7 managed detection and response service that monitors servers, tills and cloud "
            "accounts."
        ),
        capex=100, opex=600, benefit=0, sponsor="ciso", manager="omensah",
        start=1, months=6, clarity=4, criticality=4,
        contributions=(
            C("O5.3", M, "Round-the-clock monitoring catches ransomware before it spreads to store systems.",
              kpi="Mean time to restore (P1 incidents)", change="-10"),
            C("O5.1", M, "PCI-DSS requires daily log review, which the security operations centre takes "
                         "over."),
        ),
    ),
    InitiativeSpec(
        code="SEC-05", title="GDPR consent management", program=SEC, category=RUN, stage=CLOSED,
        description=(
            "Put a consent management platform on the web shop and app and cleaned the marketing database of "
            "records without consent."
        ),
        capex=110, opex=40, benefit=0, sponsor="ciso", manager="mrossi",
        start=-28, months=8, clarity=5, criticality=3, spent=0.94,
        contributions=(
            C("O4.1", W, "Consent records let marketing e-mail loyalty members lawfully, a small enabler of "
                         "member activity."),
        ),
    ),
    # Technology Foundations
    InitiativeSpec(
        code="FIN-01", title="Finance ERP migration to S/4HANA", program=TF, category=RUN, stage=IN_DELIVERY,
        description=(
            "Migrates general ledger, purchasing and fixed assets from the end-of-support ERP release to "
            "S/4HANA, with a new chart of accounts."
        ),
        capex=3600, opex=1000, benefit=600, sponsor="cfo", manager="lwalker",
        start=-16, months=26, clarity=3, criticality=4, sustainment="lwalker",
        spent=0.58, overrun=1.22, slip=75, stale_forecasts=True,
        milestones=(
            "Blueprint sign-off", "Chart of accounts agreed", "Data migration rehearsal 1",
            "Integration test complete", "Release 1 go-live",
        ),
        missing_artefacts=(ArtefactKind.BENEFITS_PLAN, ArtefactKind.SECURITY_REVIEW),
        contributions=(
            C("O2.1", W, "A faster month-end close frees finance staff, but the saving does not reach store "
                         "operating cost."),
            C("O5.2", W, "Finance data will reach the data platform through standard extractors, though no "
                         "report depends on it yet."),
        ),
    ),
    InitiativeSpec(
        code="INFRA-01", title="Data-centre exit to public cloud",
        program=TF, category=TRANSFORM, stage=IN_DELIVERY,
        description=(
            "Moves 240 applications out of the leased data centre before the lease ends, rehosting most and "
            "retiring 60."
        ),
        capex=1500, opex=700, benefit=1600, sponsor="cio", manager="omensah",
        start=-12, months=24, clarity=3, criticality=4, sustainment="omensah",
        spent=0.5, overrun=1.3, slip=45,
        milestones=(
            "Landing zone ready", "Wave 1: 80 applications", "Wave 2: 100 applications", "Data centre empty",
        ),
        missing_artefacts=(ArtefactKind.SECURITY_REVIEW,),
        contributions=(
            C("O5.3", M, "Hosting in two availability zones removes the single data centre as a point of "
                         "failure.", kpi="Core systems availability", change="0.2"),
            C("O2.1", W, "Lease and hardware savings are central IT costs, only partly charged to stores."),
        ),
    ),
    InitiativeSpec(
        code="INFRA-02", title="Head-office laptop refresh", program=TF, category=RUN, stage=LIVE,
        description="Replaced 1,800 laptops that could no longer run a supported operating system.",
        capex=560, opex=50, benefit=0, sponsor="cio", manager="omensah",
        start=-19, months=8, clarity=5, criticality=2, sustainment="omensah", spent=0.92,
        contributions=(
            C("O5.3", W, "Supported devices receive security patches, which lowers the risk of incidents on "
                         "head-office systems."),
        ),
    ),
    InitiativeSpec(
        code="INFRA-03", title="SD-WAN for stores", program=TF, category=RUN, stage=LIVE,
        description="Connects all stores over SD-WAN with 4G backup, replacing the MPLS lines.",
        capex=700, opex=220, benefit=350, sponsor="cio", manager="omensah",
        start=-17, months=10, clarity=4, criticality=4, spent=0.99, slip=30,
        contributions=(
            C("O5.3", S, "4G backup keeps tills and payments online when the fixed line fails, the cause of "
                         "60% of store outages.", kpi="Core systems availability", change="0.1"),
            C("O2.1", W, "SD-WAN costs EUR 180k a year less than the MPLS contract."),
        ),
    ),
    InitiativeSpec(
        code="INFRA-04", title="Print fleet consolidation", program=TF, category=RUN, stage=IN_DELIVERY,
        description=(
            "Replaces 900 printers in head office and stores with 350 managed multifunction devices under "
            "one contract."
        ),
        capex=40, opex=25, benefit=0, sponsor="cfo", manager="omensah",
        start=-4, months=6, clarity=4, criticality=1, sustainment="omensah", spent=0.5,
    ),
    # No program
    InitiativeSpec(
        code="HR-01", title="Staff intranet redesign", program=None, category=GROW, stage=IN_DELIVERY,
        description=(
            "A new intranet for head-office and store staff with news, policies and a people directory, "
            "readable on phones."
        ),
        capex=140, opex=40, benefit=0, sponsor="coo", manager="mrossi",
        start=-6, months=12, clarity=3, criticality=1, spent=0.55,
    ),
)
# fmt: on

DEFAULT_MILESTONES = {
    2: ("Design sign-off", "Go-live"),
    3: ("Design sign-off", "Build complete", "Go-live"),
    4: ("Design sign-off", "Build complete", "User acceptance testing complete", "Go-live"),
    5: (
        "Discovery complete",
        "Design sign-off",
        "Build complete",
        "User acceptance testing complete",
        "Go-live",
    ),
}
DEFAULT_MILESTONE_COUNT: dict[str, int] = {
    PROPOSED: 2,
    APPROVED: 3,
    IN_DELIVERY: 4,
    LIVE: 4,
    CLOSED: 3,
    CANCELLED: 3,
}
DEFAULT_SPENT: dict[str, float] = {
    IDEA: 0.0,
    PROPOSED: 0.0,
    APPROVED: 0.0,
    IN_DELIVERY: 0.5,
    LIVE: 0.97,
    CLOSED: 0.95,
    CANCELLED: 0.2,
}

# ---------------------------------------------------------------------------------------------------------
# Scope changes, risks, steering
# ---------------------------------------------------------------------------------------------------------

PENDING, APPROVED_CHANGE, REJECTED = (
    ScopeChangeStatus.PENDING,
    ScopeChangeStatus.APPROVED,
    ScopeChangeStatus.REJECTED,
)

# (initiative, days before as_of, description, rationale, cost impact EUR, schedule impact in days, status,
#  who decided)
# fmt: off
SCOPE_CHANGES: tuple[tuple[str, int, str, str, int, int, str, str | None], ...] = (
    ("ECOM-01", 165, "Add guest checkout without creating an account.",
     "Exit survey: 24% of abandoning shoppers refused to create an account.", 45000, 15, APPROVED_CHANGE,
     "cmo"),
    ("ECOM-01", 128, "Accept gift cards and store credit as payment.", "", 38000, 12, APPROVED_CHANGE, "pmo"),
    ("ECOM-01", 96, "Add address look-up for the Netherlands and Belgium.", "", 12000, 5, APPROVED_CHANGE,
     "pmo"),
    ("ECOM-01", 61, "Redesign the delivery-slot picker for click-and-collect.",
     "Request from the trading director ahead of the Christmas campaign.", 55000, 20, REJECTED, "cmo"),
    ("ECOM-01", 19, "Add Apple Pay and Google Pay.", "", 30000, 10, PENDING, None),
    ("ECOM-05", 140, "Keep the legacy promotion engine for one more year.",
     "Migrating promotions depends on the new pricing rules, which are not designed yet.", -120000, -20,
     APPROVED_CHANGE, "cio"),
    ("ECOM-05", 35, "Add B2B price lists for trade customers.", "", 160000, 30, PENDING, None),
    ("FIN-01", 210, "Add fixed-asset accounting to release 1.",
     "The auditors want assets on the same platform before the year-end close.", 240000, 45, APPROVED_CHANGE,
     "cfo"),
    ("FIN-01", 80, "Move group consolidation to a second release.",
     "The consolidation team is not available until after the year-end close.", 0, -30, APPROVED_CHANGE,
     "cfo"),
    ("SCM-03", 100, "Add voice picking in the chilled warehouse.",
     "Gloves make handheld scanning slow in the chilled zone.", 180000, 30, APPROVED_CHANGE, "coo"),
    ("STORE-01", 150, "Extend the rollout from 100 to 120 stores.",
     "The 20 extra stores have the longest queues in the footfall data.", 400000, 25, APPROVED_CHANGE, "coo"),
    ("DATA-01", 70, "Migrate the 120 finance reports in wave 1 instead of wave 3.", "", 60000, 15,
     APPROVED_CHANGE, "cio"),
    ("CRM-01", 45, "Add digital receipts to the app.",
     "Customers ask for them in app-store reviews, and they save till paper.", 35000, 0, APPROVED_CHANGE,
     "cmo"),
    ("INFRA-01", 120, "Retire 25 more applications instead of rehosting them.",
     "Their owners confirmed that nobody uses them.", -90000, -10, APPROVED_CHANGE, "cio"),
    ("INFRA-01", 30, "Add disaster-recovery tests for the 20 most critical applications.", "", 75000, 20,
     PENDING, None),
    ("SEC-01", 90, "Include the contact-centre payment line in the assessment scope.",
     "Card numbers taken by phone put the contact centre in PCI scope.", 50000, 14, APPROVED_CHANGE, "ciso"),
    ("STORE-07", 55, "Add mobile point of sale for the garden centres.", "", 90000, 20, REJECTED, "cfo"),
)
# fmt: on

RC = RiskCategory
OPEN, MITIGATING, ACCEPTED, CLOSED_RISK = (
    RiskStatus.OPEN,
    RiskStatus.MITIGATING,
    RiskStatus.ACCEPTED,
    RiskStatus.CLOSED,
)

# (initiative, title, category, probability, impact, owner, mitigation, status)
# fmt: off
RISKS: tuple[tuple[str, str, str, int, int, str, str, str], ...] = (
    ("ECOM-01", "Payment provider changes its API during the build", RC.VENDOR, 3, 3, "manager",
     "Contract tests run nightly against the provider's sandbox.", OPEN),
    ("ECOM-01", "Scope keeps growing with trading requests", RC.DELIVERY, 4, 3, "manager",
     "New requests go through the change board; features are frozen after user acceptance testing.",
     MITIGATING),
    ("ECOM-02", "App store review delays the launch", RC.DELIVERY, 2, 2, "manager",
     "Submit the release build two weeks before the launch date.", OPEN),
    ("ECOM-04", "Store stock accuracy too low for the two-hour promise", RC.OPERATIONAL, 3, 4, "hfischer",
     "Nightly stock-accuracy report; stores below 95% fall back to next-day collection.", ACCEPTED),
    ("ECOM-05", "Catalogue migration corrupts product data", RC.TECHNICAL, 3, 5, "rsingh",
     "Three dress rehearsals with automated reconciliation of all 180,000 products.", MITIGATING),
    ("ECOM-05", "Platform engineers leave during the migration", RC.PEOPLE, 3, 4, "rsingh",
     "Retention bonuses for six engineers until go-live; pairing with the partner's team.", OPEN),
    ("ECOM-05", "Go-live collides with the peak trading freeze", RC.DELIVERY, 4, 4, "rsingh", "", OPEN),
    ("ECOM-08", "Marketplace sellers damage trust in the brand", RC.OPERATIONAL, 3, 3, "rsingh",
     "Seller vetting and a 30-day probation period.", CLOSED_RISK),
    ("STORE-01", "Shrinkage rises at self-checkout", RC.FINANCIAL, 3, 3, "hfischer",
     "Weighing scales, random re-scans and a host at every bank of lanes.", MITIGATING),
    ("STORE-01", "Vendor cannot deliver lanes on time", RC.VENDOR, 2, 3, "manager",
     "Framework order placed for all 120 stores with a buffer stock of 50 lanes.", CLOSED_RISK),
    ("STORE-02", "Labels cannot read the new POS price feed", RC.TECHNICAL, 3, 3, "lwalker",
     "Integration spike planned in the first sprint.", OPEN),
    ("STORE-04", "Works council objects to forecast-based rosters", RC.PEOPLE, 3, 4, "hfischer",
     "Works council involved since design; pilot agreement signed for 10 stores.", MITIGATING),
    ("STORE-07", "Till vendor support ends before the rollout completes", RC.VENDOR, 3, 5, "lwalker",
     "Twelve months of extended support bought as a fallback.", MITIGATING),
    ("SCM-01", "Model accuracy stays low on fresh produce", RC.TECHNICAL, 3, 3, "gkim",
     "Planners keep overriding fresh produce until accuracy passes 70%.", OPEN),
    ("SCM-03", "Cut-over falls in peak season", RC.OPERATIONAL, 3, 5, "gkim",
     "Cut-over moved to the quiet week after Easter; rollback rehearsed.", MITIGATING),
    ("SCM-03", "Voice-picking headsets fail in the chilled zone", RC.TECHNICAL, 2, 3, "gkim",
     "Piloted in the chilled zone before the rollout.", CLOSED_RISK),
    ("SCM-04", "Logistics partners cannot share tracking data", RC.VENDOR, 4, 3, "gkim",
     "Data-sharing clauses added to the contracts of the three largest partners.", OPEN),
    ("CRM-01", "Personalised offers lead to privacy complaints", RC.COMPLIANCE, 2, 4, "manager",
     "Privacy impact assessment done; offers use consented data only.", OPEN),
    ("CRM-04", "Nobody owns customer data across channels", RC.PEOPLE, 4, 4, "cmo",
     "CMO and CIO agreed a data-owner RACI for the steering committee to confirm.", OPEN),
    ("DATA-01", "Report owners do not sign off migrated reports", RC.PEOPLE, 4, 3, "mrossi",
     "Each report has a named owner and a two-week sign-off window; unsigned reports are retired.", OPEN),
    ("DATA-01", "Cloud running costs exceed the business case", RC.FINANCIAL, 3, 3, "mrossi",
     "Monthly FinOps review with budgets and alerts per data product.", MITIGATING),
    ("SEC-01", "Network segmentation breaks store payments", RC.TECHNICAL, 2, 5, "omensah",
     "Changes go to 10 pilot stores first, with a 15-minute rollback.", MITIGATING),
    ("SEC-01", "The audit date moves earlier", RC.COMPLIANCE, 2, 4, "ciso",
     "Monthly call with the assessor; evidence is collected continuously.", ACCEPTED),
    ("SEC-02", "No team runs the token vault after go-live", RC.OPERATIONAL, 4, 3, "ciso",
     "The service desk takes first-line support until an owner is named.", OPEN),
    ("SEC-04", "Alert fatigue in the security operations centre", RC.OPERATIONAL, 3, 2, "omensah",
     "Eight weeks of tuning with weekly reviews.", OPEN),
    ("FIN-01", "SAP consultants rolled off to other clients", RC.VENDOR, 4, 4, "lwalker", "", OPEN),
    ("FIN-01", "Migrating 12 years of ledger history", RC.TECHNICAL, 3, 4, "lwalker",
     "Migrate three years in detail and archive the rest, as agreed with the auditors.", MITIGATING),
    ("FIN-01", "Finance users not released for testing", RC.PEOPLE, 4, 3, "cfo",
     "The CFO named 12 testers and blocked their calendars for acceptance testing.", OPEN),
    ("INFRA-01", "The lease ends before the last applications move", RC.OPERATIONAL, 3, 5, "omensah",
     "A six-month lease extension is negotiated as an option.", MITIGATING),
    ("INFRA-01", "Licence costs rise on cloud hosting", RC.FINANCIAL, 3, 3, "omensah",
     "Licence review of the top 20 products before each migration wave.", OPEN),
    ("INFRA-03", "4G coverage is weak at rural stores", RC.TECHNICAL, 3, 2, "omensah",
     "Satellite backup for the 12 stores without coverage.", CLOSED_RISK),
)
# fmt: on

COMMITTEE_NAME = "Portfolio Steering Committee"
COMMITTEE_CHAIR = "cio"
COMMITTEE_MEMBERS = ("cio", "cfo", "cmo", "coo", "ciso", "steering", "pmo", "hfischer")
# Days before as_of of each held meeting, and who missed it.
MEETINGS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (118, ("ciso",)),
    (83, ("cfo",)),
    (48, ()),
    (13, ("cfo", "hfischer")),
)
NEXT_MEETING_IN_DAYS = 0  # the committee meets on the demo's day, so a demo user can run the meeting

G, A, R = "green", "amber", "red"
P, PWC, REALIGN, STOP = Decision.PROCEED, Decision.PROCEED_WITH_CONDITIONS, Decision.REALIGN, Decision.STOP

# (meeting index, initiative, RAG schedule/cost/scope/benefits, decision, rationale)
# fmt: off
REVIEWS: tuple[tuple[int, str, tuple[str, str, str, str], str, str], ...] = (
    (0, "ECOM-08", (R, A, R, R), STOP,
     "The marketplace objective was retired in the strategy refresh. Stop the build and hand the "
     "seller-onboarding work to the headless platform team."),
    (0, "FIN-01", (A, A, A, A), PWC,
     "Proceed if the system integrator confirms named consultants through go-live before the next meeting."),
    (0, "SCM-03", (A, G, G, G), P, "The cut-over moved to after Easter; the new plan is credible."),
    (0, "STORE-01", (G, G, G, G), P,
     "Pilot stores cut the average queue from 6.5 to 3.8 minutes. Wave 1 is approved."),
    (1, "ECOM-01", (A, A, R, A), REALIGN,
     "Three scope additions since approval, two of them without a business reason. The team comes back with "
     "a frozen scope and a new go-live date."),
    (1, "FIN-01", (R, R, A, A), PWC,
     "The forecast is 22% over budget. Continue with release 1 only; the sponsor must confirm the benefits "
     "case."),
    (1, "DATA-01", (A, G, G, A), P,
     "Landing zone and sales data product delivered. Finance reports move to wave 1 as requested."),
    (1, "SEC-01", (G, G, G, G), P, "Twenty of 34 findings closed with evidence; on course for the audit."),
    (2, "ECOM-05", (A, A, G, G), PWC,
     "Go-live must avoid the peak trading freeze. Present a cut-over plan at the next meeting."),
    (2, "SCM-03", (R, R, A, A), REALIGN,
     "Second slip of voice picking. Re-plan with the vendor and show the cost to complete."),
    (2, "CRM-01", (G, G, A, G), P, "Digital receipts added with a clear rationale; no impact on the date."),
    (2, "SCM-01", (G, G, G, A), P,
     "Accuracy gains hold in ambient products; fresh produce stays with planners for now."),
    (3, "FIN-01", (R, R, A, R), REALIGN,
     "The sponsor was absent again and the benefits case is still unconfirmed. No release-2 work starts "
     "until the CFO presents it."),
    (3, "ECOM-01", (A, A, A, A), PWC,
     "Scope is frozen on the agreed list; the wallet payments request waits until after go-live."),
    (3, "SEC-02", (G, G, G, A), PWC,
     "Ready for go-live in three weeks, but nobody owns the token vault afterwards. Name a sustainment owner "
     "before go-live."),
    (3, "INFRA-01", (A, R, G, G), PWC,
     "Cost forecast is 30% over budget, mostly licences. Present the licence review before wave 2."),
)
# fmt: on

# (meeting index, initiative, title, owner, due days after the meeting, completed days after it or None, the
# note its owner left when marking it done)
# fmt: off
ACTIONS: tuple[tuple[int, str, str, str, int, int | None, str], ...] = (
    (0, "ECOM-08", "Hand the seller-onboarding code over to the headless platform team", "rsingh", 30, 27,
     "Code and backlog handed over at the platform team's sprint review."),
    (0, "FIN-01", "Confirm named SAP consultants through go-live", "lwalker", 21, 18,
     "The integrator named eight consultants; their contracts run through go-live."),
    (1, "ECOM-01", "Freeze the checkout scope and re-baseline the plan", "manager", 14, 20,
     "Scope frozen on 14 items; the sponsor approved the new baseline."),
    (1, "FIN-01", "Confirm the benefits case for release 1", "cfo", 28, None, ""),
    (2, "ECOM-05", "Present a cut-over plan that avoids the peak freeze", "rsingh", 28, 26,
     "Cut-over plan presented: go-live moves to the second week of January."),
    (2, "SCM-03", "Re-plan voice picking with the vendor", "gkim", 21, None, ""),
    (3, "SEC-02", "Name a sustainment owner for the token vault", "ciso", 10, None, ""),
    (3, "INFRA-01", "Licence review of the top 20 products", "omensah", 30, None, ""),
)
# fmt: on

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# ---------------------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


# Prioritisation inputs of the candidates (idea, proposed, approved): urgency 1-5, the obligation that makes one
# mandatory, and WSJF's business value, time criticality, risk reduction and job size (1, 2, 3, 5, 8, 13, 20).
PRIORITISATION: dict[str, tuple[int, str, tuple[int, int, int, int]]] = {
    "ECOM-06": (4, "", (13, 8, 3, 5)),
    "ECOM-07": (2, "", (8, 2, 5, 13)),
    "STORE-02": (3, "", (5, 3, 2, 8)),
    "STORE-06": (2, "", (3, 2, 5, 5)),
    "SCM-04": (3, "", (8, 5, 5, 13)),
    "SCM-06": (3, "", (8, 5, 3, 8)),
    "CRM-04": (4, "", (13, 5, 8, 20)),
    "DATA-02": (3, "", (5, 3, 3, 5)),
    "DATA-04": (4, "", (8, 8, 2, 5)),
    "SEC-04": (5, "NIS2 directive: detect and report significant incidents within 24 hours", (5, 20, 13, 8)),
}


def _prioritisation(code: str) -> dict[str, Any]:
    if code not in PRIORITISATION:
        return {}
    urgency, obligation, (value, time, risk, size) = PRIORITISATION[code]
    return {
        "urgency": urgency,
        "mandatory": bool(obligation),
        "mandatory_reason": obligation,
        "wsjf_business_value": value,
        "wsjf_time_criticality": time,
        "wsjf_risk_reduction": risk,
        "wsjf_job_size": size,
    }


def build_demo(*, as_of: datetime.date, stdout: Writer | None = None) -> DemoResult:
    """Load the Northwind Retail demo portfolio dated `as_of`, unless the portfolio already has initiatives.

    The demo accounts are ensured either way (an existing account keeps its password), and the logins are
    printed to `stdout` at the end.
    """
    with transaction.atomic():
        users = ensure_demo_accounts()
        tier_policies_ensure()
        if Initiative.objects.exists():
            result = DemoResult(created=False)
        else:
            counts = _Builder(as_of=as_of, users=users).build()
            infer_stage_since(as_of)
            result = DemoResult(created=True, counts=counts)
    if stdout is not None:
        _report(result, stdout)
    return result


def infer_stage_since(as_of: datetime.date) -> None:
    """Loaded data has no record of stage changes: date each initiative's stage from its own dates."""
    initiatives = list(Initiative.objects.all())
    for initiative in initiatives:
        inferred = initiative.inferred_stage_since()
        initiative.stage_since = min(inferred, as_of) if inferred else as_of
    Initiative.objects.bulk_update(initiatives, ["stage_since"], batch_size=2000)


def freeze_review_figures() -> int:
    """Give each review of the held meetings the figures its committee saw, through the function every review
    freezes its figures with (steering.services.initiative_figures): the engine recomputed as of the day
    before the meeting (so that the meeting's own decisions do not count yet), the figures read as of that
    day. Run it right after build_demo, before the history is computed. Returns how many reviews it froze."""
    frozen = 0
    for meeting in SteeringMeeting.objects.filter(status=MeetingStatus.HELD).order_by("held_on", "pk"):
        eve = meeting.held_on - datetime.timedelta(days=1)
        recompute(today=eve)
        reviews = list(
            meeting.reviews.select_related("initiative", "initiative__sponsor", "initiative__manager")
        )
        figures = initiative_figures([review.initiative for review in reviews], as_of=eve)
        for review in reviews:
            review.figures = figures[review.initiative_id]
        CheckpointReview.objects.bulk_update(reviews, ["figures"])
        frozen += len(reviews)
    return frozen


def prepare_meetings() -> int:
    """After the first recompute: put each recorded review on its meeting's agenda, and propose the agenda
    of the planned meeting from the data (checkpoints due, red signals, pending scope changes), the most
    important first up to the meeting's length, as the PMO would. Returns how many initiatives were proposed.
    """
    for meeting in SteeringMeeting.objects.filter(status=MeetingStatus.HELD).prefetch_related("reviews"):
        reviews = sorted(meeting.reviews.all(), key=lambda r: r.initiative_id)
        AgendaItem.objects.bulk_create(
            [
                AgendaItem(
                    meeting=meeting,
                    initiative_id=review.initiative_id,
                    position=position,
                    reasons=["Checkpoint review"],
                    status=AgendaStatus.REVIEWED,
                    review=review,
                )
                for position, review in enumerate(reviews)
            ]
        )
    planned = SteeringMeeting.objects.filter(status=MeetingStatus.PLANNED).order_by("held_on").first()
    pmo = User.objects.filter(username="pmo").first()
    return len(agenda_propose(user=pmo, meeting=planned).added) if planned and pmo else 0


def ensure_demo_accounts() -> dict[str, User]:
    """Create the missing demo accounts with the demo password; existing ones only gain their role."""
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ALL_ROLES)}
    existing = {
        user.username: user for user in User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])
    }
    # One hash for every new account: the password is printed on screen anyway, and hashing it 17 times
    # would make the demo take seconds longer to load.
    password = make_password(DEMO_PASSWORD) if len(existing) < len(DEMO_ACCOUNTS) else ""
    users: dict[str, User] = {}
    for account in DEMO_ACCOUNTS:
        user = existing.get(account.username)
        if user is None:
            user = User(
                username=account.username,
                first_name=account.first_name,
                last_name=account.last_name,
                email=account.email,
                is_staff=account.role == roles.ADMIN,
                is_superuser=account.role == roles.ADMIN,
            )
            user.password = password
            user.save()
        group = groups.get(account.role) or Group.objects.get_or_create(name=account.role)[0]
        user.groups.add(group)
        users[account.username] = user
    return users


def _report(result: DemoResult, stdout: Writer) -> None:
    if result.created:
        summary = ", ".join(f"{count} {name}" for name, count in result.counts.items())
        stdout.write(f"Demo portfolio loaded: {summary}.\n")
    else:
        stdout.write(f"{ALREADY_PRESENT}\n")
    width = max(len(account.username) for account in result.accounts)
    role_width = max(len(account.role) for account in result.accounts)
    stdout.write("\nDemo logins:\n")
    stdout.write(f"  {'username':<{width}}  {'role':<{role_width}}  password\n")
    for account in result.accounts:
        stdout.write(f"  {account.username:<{width}}  {account.role:<{role_width}}  {DEMO_PASSWORD}\n")


def _money(thousands: float) -> Decimal:
    """Thousands of EUR to EUR, rounded to the hundred."""
    return Decimal(round(thousands * 1000, -2)).quantize(Decimal("1"))


class _Builder:
    def __init__(self, *, as_of: datetime.date, users: dict[str, User]) -> None:
        self.as_of = as_of
        self.users = users
        self.pmo = users["pmo"]
        self.rng = random.Random(DEMO_SEED)
        # Every "created" history entry is dated at the start of as_of and attributed to the PMO account.
        self.stamp = _at(as_of)
        self.latest_quarter = quarter_end_on_or_before(as_of)
        self.counts: dict[str, int] = {}

    def build(self) -> dict[str, int]:
        self.programs = self._programs()
        self.objectives = self._objectives()
        self.kpis = self._kpis()
        self._readings_and_interim_targets()
        self.initiatives = self._initiatives()
        self._contributions()
        self._benefit_plans()
        self._milestones()
        self._scope_changes()
        self._risks()
        self._artefacts()
        self._steering()
        return self.counts

    # -- writing ------------------------------------------------------------------------------------------

    def _bulk(self, model: type[models.Model], objects: Sequence[models.Model], label: str) -> list[Any]:
        created = bulk_create_with_history(
            list(objects), model, batch_size=500, default_user=self.pmo, default_date=self.stamp
        )
        self.counts[label] = self.counts.get(label, 0) + len(created)
        return created

    def _create_with_m2m(self, obj: models.Model, m2m: dict[str, Iterable[User]], label: str) -> None:
        """Save a record and its many-to-many links with one "created" history entry that lists the links."""
        obj.skip_history_when_saving = True  # type: ignore[attr-defined]
        obj.save()
        for name, values in m2m.items():
            getattr(obj, name).set(list(values))
        del obj.skip_history_when_saving  # type: ignore[attr-defined]
        model = type(obj)
        history_model = model.history.model  # type: ignore[attr-defined]
        (entry,) = model.history.bulk_history_create(  # type: ignore[attr-defined]
            [obj], default_user=self.pmo, default_date=self.stamp
        )
        for name in m2m:
            through = getattr(model, name).through
            source = getattr(model, name).field.m2m_field_name()
            link_history = getattr(history_model, name).model
            names = [f.name for f in through._meta.fields]
            link_history.objects.bulk_create(
                link_history(history=entry, **{n: getattr(row, n) for n in names})
                for row in through.objects.filter(**{source: obj})
            )
        self.counts[label] = self.counts.get(label, 0) + 1

    # -- strategy -----------------------------------------------------------------------------------------

    def _programs(self) -> dict[str, Program]:
        created = self._bulk(
            Program,
            [Program(name=name, owner=self.users[owner], description=text) for name, owner, text in PROGRAMS],
            "programs",
        )
        return {program.name: program for program in created}

    def _objectives(self) -> dict[str, Objective]:
        by_code: dict[str, Objective] = {}
        horizon_start = add_months(self.as_of.replace(month=1, day=1), -24)
        horizon_end = datetime.date(self.as_of.year + 3, 12, 31)
        for depth in (0, 1, 2):
            level = [spec for spec in OBJECTIVES if spec.code.count(".") == depth]
            created = self._bulk(
                Objective,
                [
                    Objective(
                        code=spec.code,
                        parent=by_code[spec.parent] if spec.parent else None,
                        title=spec.title,
                        description=spec.description,
                        owner=self.users[spec.owner],
                        horizon_start=horizon_start,
                        horizon_end=horizon_end,
                        status=ObjectiveStatus.RETIRED if spec.retired else ObjectiveStatus.ACTIVE,
                        local_weight=Decimal(spec.weight),
                    )
                    for spec in level
                ],
                "objectives",
            )
            by_code.update((objective.code, objective) for objective in created)
        return by_code

    def _kpis(self) -> dict[str, KPI]:
        baseline_date = shift_quarters(self.latest_quarter, -READINGS_PER_KPI)
        target_date = shift_quarters(self.latest_quarter, QUARTERS_TO_TARGET - READINGS_PER_KPI)
        created = self._bulk(
            KPI,
            [
                KPI(
                    objective=self.objectives[spec.objective],
                    name=spec.name,
                    description=spec.description,
                    unit=spec.unit,
                    direction=spec.direction,
                    baseline_value=Decimal(spec.baseline),
                    baseline_date=baseline_date,
                    target_value=Decimal(spec.target),
                    target_date=target_date,
                )
                for spec in KPIS
            ],
            "KPIs",
        )
        return {kpi.name: kpi for kpi in created}

    def _progress(self, trajectory: str, quarter: int) -> float:
        linear = quarter / QUARTERS_TO_TARGET
        noise = self.rng.uniform(-0.02, 0.02)
        if trajectory == AHEAD:
            return linear * 1.25 + noise
        if trajectory == AT_RISK:
            return linear * 0.7 + noise
        if trajectory == FLAT:
            return 0.04 + noise
        if trajectory == WRONG_WAY:
            return -0.04 * quarter + noise
        return linear * 1.02 + noise

    def _readings_and_interim_targets(self) -> None:
        readings: list[Reading] = []
        for spec in KPIS:
            if spec.trajectory == NO_DATA:
                continue
            kpi = self.kpis[spec.name]
            baseline, target = Decimal(spec.baseline), Decimal(spec.target)
            step = Decimal(1).scaleb(-spec.decimals)
            for quarter in range(1, READINGS_PER_KPI + 1):
                fraction = Decimal(str(round(self._progress(spec.trajectory, quarter), 4)))
                value = (baseline + (target - baseline) * fraction).quantize(step)
                readings.append(
                    Reading(
                        kpi=kpi,
                        date=shift_quarters(self.latest_quarter, quarter - READINGS_PER_KPI),
                        value=max(value, Decimal(0)),
                        source=spec.source,
                        entered_by=self.pmo,
                    )
                )
        self._bulk(Reading, readings, "readings")
        targets = [
            InterimTarget(
                kpi=self.kpis[name],
                date=shift_quarters(self.kpis[name].baseline_date, quarters),
                value=Decimal(value),
            )
            for name, waypoints in INTERIM_TARGETS.items()
            for quarters, value in waypoints
        ]
        self._bulk(InterimTarget, targets, "interim targets")

    # -- initiatives --------------------------------------------------------------------------------------

    def _schedule(self, spec: InitiativeSpec) -> dict[str, Any]:
        """Planned and actual dates, go-live and cost figures, all consistent with the stage and as_of."""
        as_of = self.as_of
        planned_start = add_months(as_of.replace(day=1), spec.start)
        planned_end = month_end(add_months(planned_start, spec.months - 1))
        planned_go_live = _days(planned_end, -14)
        started = spec.stage in (IN_DELIVERY, LIVE, CLOSED, CANCELLED)
        actual_start = min(_days(planned_start, self.rng.randint(0, 12)), as_of) if started else None
        actual_end = None
        go_live: datetime.date | None = None
        if spec.go_live is not None:
            go_live = _days(as_of, spec.go_live)
        elif spec.stage in (APPROVED, IN_DELIVERY, LIVE, CLOSED):
            go_live = _days(planned_go_live, spec.slip)
        if spec.stage in (APPROVED, IN_DELIVERY) and go_live:
            go_live = max(go_live, _days(as_of, 7))
        elif spec.stage in (LIVE, CLOSED) and go_live:
            go_live = min(go_live, _days(as_of, -7))
        if spec.stage == LIVE and go_live and _days(go_live, 30) <= as_of:
            actual_end = _days(go_live, 30)
        if spec.stage == CLOSED and go_live:
            actual_end = min(_days(go_live, 45), as_of)
        if spec.stage == CANCELLED:
            actual_end = self.meeting_dates[0]
        budget = spec.capex + spec.opex
        spent = spec.spent if spec.spent is not None else DEFAULT_SPENT[spec.stage]
        actual_cost = _money(budget * spent)
        if spec.stage in (IDEA, PROPOSED):
            forecast_cost = None
        elif spec.stage in (CLOSED, CANCELLED):
            forecast_cost = actual_cost
        else:
            forecast_cost = max(_money(budget * spec.overrun), actual_cost)
        return {
            "planned_start": planned_start,
            "planned_end": planned_end,
            "actual_start": actual_start,
            "actual_end": actual_end,
            "go_live_date": go_live,
            "actual_cost": actual_cost,
            "forecast_cost": forecast_cost,
        }

    def _user(self, username: str | None) -> User | None:
        return self.users[username] if username else None

    def _initiatives(self) -> dict[str, Initiative]:
        self.meeting_dates = [_days(self.as_of, -days) for days, _absent in MEETINGS]
        self.schedules = {spec.code: self._schedule(spec) for spec in INITIATIVES}
        created = self._bulk(
            Initiative,
            [
                Initiative(
                    code=spec.code,
                    title=spec.title,
                    description=spec.description,
                    sponsor=self._user(spec.sponsor),
                    manager=self._user(spec.manager),
                    program=self.programs[spec.program] if spec.program else None,
                    category=spec.category,
                    stage=spec.stage,
                    budget_capex=_money(spec.capex),
                    budget_opex=_money(spec.opex),
                    requirements_clarity=spec.clarity,
                    criticality=spec.criticality,
                    sustainment_owner=self._user(spec.sustainment),
                    **self.schedules[spec.code],
                    **_prioritisation(spec.code),
                )
                for spec in INITIATIVES
            ],
            "initiatives",
        )
        # each initiative's business case, seeded from its budget and expected annual benefit
        by_code = {spec.code: spec for spec in INITIATIVES}
        business_cases_seed(
            [
                Seed(
                    initiative_id=initiative.pk,
                    first_year=(initiative.planned_start or self.as_of).year,
                    planned_end=initiative.planned_end,
                    go_live_date=initiative.go_live_date,
                    capex=initiative.budget_capex,
                    opex=initiative.budget_opex,
                    annual_benefit=_money(by_code[initiative.code].benefit),
                )
                for initiative in created
            ],
            user=self.pmo,
            when=self.stamp,
        )
        self.counts["business cases"] = BusinessCase.objects.count()
        self.counts["business case lines"] = BusinessCaseLine.objects.count()
        self.counts["business case amounts"] = BusinessCaseAmount.objects.count()
        return {initiative.code: initiative for initiative in created}

    def _contributions(self) -> None:
        self._bulk(
            Contribution,
            [
                Contribution(
                    initiative=self.initiatives[spec.code],
                    objective=self.objectives[c.objective],
                    strength=c.strength,
                    rationale=c.rationale,
                    kpi=self.kpis[c.kpi] if c.kpi else None,
                    expected_change=Decimal(c.change) if c.change else None,
                )
                for spec in INITIATIVES
                for c in spec.contributions
            ],
            "contributions",
        )

    def _benefit_plans(self) -> None:
        """A benefit plan for the first benefit line of every live or closed initiative: each year's business
        case amount spread over its quarters; actuals derived from the readings of the KPI its contribution
        claims a change of, or else entered, for the quarters ended by as_of, at a realisation that differs
        from one initiative to the next (no random numbers: the other records' draws stay as they were), except
        UNMEASURED_BENEFITS, whose actuals nobody has entered."""
        claimed = {
            c.initiative_id: c.kpi_id
            for c in Contribution.objects.filter(kpi__isnull=False, expected_change__isnull=False).order_by(
                "-initiative_id", "-objective__code"
            )
        }
        lines = BusinessCaseLine.objects.filter(
            case__initiative__stage__in=[LIVE, CLOSED],
            case__initiative__go_live_date__isnull=False,
            kind__in=["revenue", "cost_saving", "cost_avoidance", "risk_reduction"],
        ).order_by("case_id", "position")
        first: dict[int, BusinessCaseLine] = {}
        for line in lines.prefetch_related("amounts"):
            first.setdefault(line.case_id, line)
        plans, periods = [], []
        unmeasured = self.initiatives[UNMEASURED_BENEFITS].pk
        rates = [Decimal("0.9"), Decimal("0.7"), Decimal("1.05"), Decimal("0.55"), Decimal("0.85")]
        for n, (initiative_id, line) in enumerate(sorted(first.items())):
            kpi_id = claimed.get(initiative_id)
            source = ActualsSource.DERIVED if kpi_id and n % 3 != 2 else ActualsSource.ENTERED
            plan = BenefitPlan(line=line, kpi_id=kpi_id, source=source)
            plans.append(plan)
            for amount in line.amounts.all():
                share = (amount.amount / 4).quantize(Decimal("0.01"))
                for quarter in (1, 2, 3, 4):
                    expected = share if quarter < 4 else amount.amount - 3 * share
                    ended = quarter_end(amount.year, quarter) <= self.as_of
                    actual = None
                    if ended and source == ActualsSource.ENTERED and initiative_id != unmeasured:
                        actual = (expected * rates[n % len(rates)]).quantize(Decimal("0.01"))
                    periods.append(
                        BenefitPeriod(
                            plan=plan, year=amount.year, quarter=quarter, expected=expected, actual=actual
                        )
                    )
        self._bulk(BenefitPlan, plans, "benefit plans")
        self._bulk(BenefitPeriod, periods, "benefit quarters")

    def _milestones(self) -> None:
        milestones: list[Milestone] = []
        for spec in INITIATIVES:
            if spec.stage == IDEA:
                continue
            names = spec.milestones or DEFAULT_MILESTONES[DEFAULT_MILESTONE_COUNT[spec.stage]]
            milestones.extend(self._milestones_of(spec, names))
        self._bulk(Milestone, milestones, "milestones")

    def _milestones_of(self, spec: InitiativeSpec, names: Sequence[str]) -> list[Milestone]:
        schedule = self.schedules[spec.code]
        start: datetime.date = schedule["planned_start"]
        planned_go_live = _days(schedule["planned_end"], -14)
        go_live: datetime.date | None = schedule["go_live_date"]
        span = (planned_go_live - start).days
        delivered = spec.stage in (LIVE, CLOSED)
        slip = (go_live - planned_go_live).days if go_live else spec.slip
        count = len(names)
        result = []
        for index, name in enumerate(names):
            last = index == count - 1
            baseline = _days(start, round(span * (index + 1) / count))
            if last and go_live:
                # The go-live milestone happens (or is expected) on the initiative's go-live date.
                expected = go_live
            elif slip > 0:
                expected = _days(baseline, round(slip * (index + 1) / count) + self.rng.randint(-3, 3))
            else:
                expected = _days(baseline, self.rng.randint(-6, 0))
            actual = forecast = None
            if spec.stage in (PROPOSED, APPROVED):
                forecast = expected if spec.stage == APPROVED and self.rng.random() < 0.5 else None
            elif spec.stage == CANCELLED:
                actual = expected if expected <= schedule["actual_end"] else None
            elif delivered:
                actual = min(expected, self.as_of)
            elif expected <= self.as_of:
                actual = expected
            elif slip > 0 or self.rng.random() < 0.6:
                forecast = expected
            updated = None
            if forecast is not None:
                age = self.rng.randint(65, 120) if spec.stale_forecasts else self.rng.randint(2, 45)
                updated = _at(_days(self.as_of, -age), 9, 30)
            result.append(
                Milestone(
                    initiative=self.initiatives[spec.code],
                    name=name,
                    baseline_date=baseline,
                    forecast_date=forecast,
                    actual_date=actual,
                    forecast_updated_at=updated,
                )
            )
        return result

    def _scope_changes(self) -> None:
        self._bulk(
            ScopeChange,
            [
                ScopeChange(
                    initiative=self.initiatives[code],
                    date=_days(self.as_of, -days_ago),
                    description=description,
                    rationale=rationale,
                    cost_impact=Decimal(cost),
                    schedule_impact_days=days,
                    status=status,
                    approved_by=self._user(decider),
                )
                for code, days_ago, description, rationale, cost, days, status, decider in SCOPE_CHANGES
            ],
            "scope changes",
        )

    def _risks(self) -> None:
        risks = []
        for code, title, category, probability, impact, owner, mitigation, status in RISKS:
            review = None if status == CLOSED_RISK else _days(self.as_of, self.rng.randint(7, 45))
            risks.append(
                Risk(
                    initiative=self.initiatives[code],
                    title=title,
                    category=category,
                    probability=probability,
                    impact=impact,
                    owner=self.users[owner],
                    mitigation=mitigation,
                    status=status,
                    review_date=review,
                )
            )
        self._bulk(Risk, risks, "risks")

    def _artefacts(self) -> None:
        labels = dict(ArtefactKind.choices)
        artefacts = []
        for spec in INITIATIVES:
            schedule = self.schedules[spec.code]
            for number, (kind, dated) in enumerate(self._artefact_kinds(spec, schedule), start=1):
                artefacts.append(
                    Artefact(
                        initiative=self.initiatives[spec.code],
                        kind=kind,
                        title=f"{labels[kind]}: {spec.title}",
                        reference=f"DMS-{spec.code}-{number:02d}",
                        dated=min(dated, _days(self.as_of, -3)),
                    )
                )
        self._bulk(Artefact, artefacts, "artefacts")

    def _artefact_kinds(
        self, spec: InitiativeSpec, schedule: dict[str, Any]
    ) -> list[tuple[str, datetime.date]]:
        """The governance documents an initiative of this size and stage would have produced, and when."""
        if spec.stage == IDEA:
            return []
        start: datetime.date = schedule["planned_start"]
        go_live: datetime.date | None = schedule["go_live_date"]
        budget = (spec.capex + spec.opex) * 1000
        kinds = [(ArtefactKind.BUSINESS_CASE, _days(start, -45))]
        if spec.stage != PROPOSED:
            if spec.category != RUN or budget >= 1_000_000:
                kinds.append((ArtefactKind.BENEFITS_PLAN, _days(start, -20)))
            if budget >= 2_000_000 or spec.criticality == 5:
                kinds.append((ArtefactKind.ARCHITECTURE_REVIEW, _days(start, 30)))
                kinds.append((ArtefactKind.SECURITY_REVIEW, _days(start, 60)))
            if spec.stage in (IN_DELIVERY, LIVE, CLOSED) and budget >= 1_000_000:
                kinds.append((ArtefactKind.TEST_STRATEGY, _days(start, 90)))
            if spec.stage in (LIVE, CLOSED) and go_live:
                kinds.append((ArtefactKind.CUTOVER_PLAN, _days(go_live, -30)))
            if spec.stage == LIVE and spec.sustainment and go_live:
                kinds.append((ArtefactKind.SUSTAINMENT_PLAN, _days(go_live, -14)))
        return [(kind, dated) for kind, dated in kinds if kind not in spec.missing_artefacts]

    # -- steering -----------------------------------------------------------------------------------------

    def _steering(self) -> None:
        committee = Committee(name=COMMITTEE_NAME, chair=self.users[COMMITTEE_CHAIR])
        members = [self.users[name] for name in COMMITTEE_MEMBERS]
        self._create_with_m2m(committee, {"members": members}, "committees")
        meetings = []
        attendance: list[list[str]] = []
        for (days_ago, absent), held_on in zip(MEETINGS, self.meeting_dates, strict=True):
            present = [name for name in COMMITTEE_MEMBERS if name not in absent]
            meeting = SteeringMeeting(
                committee=committee,
                title=f"Portfolio steering, {MONTHS[held_on.month - 1]} {held_on.year}",
                held_on=held_on,
                location="Board room, Rotterdam head office" if days_ago % 2 == 0 else "Video call",
                status=MeetingStatus.HELD,
            )
            self._create_with_m2m(meeting, {"attendees": [self.users[name] for name in present]}, "meetings")
            meetings.append(meeting)
            attendance.append(present)
        upcoming_on = _days(self.as_of, NEXT_MEETING_IN_DAYS)
        self._create_with_m2m(
            SteeringMeeting(
                committee=committee,
                title=f"Portfolio steering, {upcoming_on.day} {MONTHS[upcoming_on.month - 1]} {upcoming_on.year}",
                held_on=upcoming_on,
                location="Board room, Rotterdam head office",
                status=MeetingStatus.PLANNED,
            ),
            {},
            "meetings",
        )
        specs = {spec.code: spec for spec in INITIATIVES}
        reviews: dict[tuple[int, str], CheckpointReview] = {}
        for index, code, (schedule, cost, scope, benefits), decision, rationale in REVIEWS:
            spec = specs[code]
            people = list(attendance[index])
            # The sponsor and the manager come for their own item, unless the sponsor skipped the meeting.
            for extra in (spec.manager, spec.sponsor):
                if (
                    extra
                    and extra not in people
                    and not (extra == spec.sponsor and extra in MEETINGS[index][1])
                ):
                    people.append(extra)
            review = CheckpointReview(
                initiative=self.initiatives[code],
                meeting=meetings[index],
                held_on=meetings[index].held_on,
                rag_schedule=schedule,
                rag_cost=cost,
                rag_scope=scope,
                rag_benefits=benefits,
                decision=decision,
                rationale=rationale,
                recorded_by=self.pmo,
            )
            self._create_with_m2m(
                review, {"attendees": [self.users[name] for name in people]}, "checkpoint reviews"
            )
            reviews[(index, code)] = review
        actions = []
        for index, code, title, owner, due_in, done_in, note in ACTIONS:
            held_on = self.meeting_dates[index]
            done = done_in is not None
            actions.append(
                ActionItem(
                    initiative=self.initiatives[code],
                    review=reviews[(index, code)],
                    title=title,
                    owner=self.users[owner],
                    due_date=_days(held_on, due_in),
                    status=ActionStatus.DONE if done else ActionStatus.OPEN,
                    completed_on=_days(held_on, done_in) if done_in is not None else None,
                    note=note,
                )
            )
        self._bulk(ActionItem, actions, "action items")
