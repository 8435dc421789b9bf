"""The shapes the API reads and answers, as pydantic models: they are the OpenAPI schema, and every answer is
checked against them. Money is a decimal string ("125000.00"), dates ISO 8601, people {id, username, name}."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.common import Page


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    # a misspelt field is an error, not silently ignored; a value of another type than the schema's is refused,
    # not converted (1 is not a date, "5" not a number, true not 1)
    model_config = ConfigDict(extra="forbid", strict=True)


ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value: Any) -> Any:
    # pydantic alone would take 0 or "0" as 1970-01-01 (a Unix time)
    if isinstance(value, datetime.date) or (isinstance(value, str) and ISO_DATE.match(value)):
        return value
    raise ValueError("Input should be a date as text, YYYY-MM-DD")


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("Input should be a number")
    return value


def _decimal(max_digits: int, places: int) -> Any:
    return Field(strict=False, max_digits=max_digits, decimal_places=places)


# the JSON body gives dates as text and amounts as numbers or text: parsed from those only
Day = Annotated[datetime.date, BeforeValidator(_iso_date), Field(strict=False)]
Money = Annotated[Decimal, BeforeValidator(_number), _decimal(14, 2)]
Value = Annotated[Decimal, BeforeValidator(_number), _decimal(20, 6)]


class PersonRef(Out):
    id: int
    username: str
    name: str


class ProgramRef(Out):
    id: int
    name: str


class ObjectiveRef(Out):
    id: int
    code: str
    title: str


class InitiativeRef(Out):
    id: int
    code: str
    title: str


# -- objectives, KPIs, readings, programs ------------------------------------------------------------------


class ObjectiveOut(Out):
    id: int
    code: str
    title: str
    description: str
    parent_id: int | None
    owner: PersonRef | None
    horizon_start: datetime.date | None
    horizon_end: datetime.date | None
    status: str
    local_weight: Decimal
    global_weight: float | None = Field(
        description="Product of normalised local weights along the path (0-1)."
    )
    version: int


class KPIOut(Out):
    id: int
    objective: ObjectiveRef
    name: str
    description: str
    unit: str
    direction: str
    baseline_value: Decimal
    baseline_date: datetime.date
    target_value: Decimal
    target_date: datetime.date
    status: str = Field(
        description="achieved, on_track, at_risk, off_track or no_data (from the last recompute)."
    )
    latest_value: float | None
    latest_date: datetime.date | None
    progress: float | None = Field(description="(latest - baseline) / (target - baseline), 0-1 and beyond.")
    readings_used: int = Field(description="The readings the status and the forecast's trend rest on.")
    forecast_value: float | None = Field(
        description="The trend's value on the target date (3 readings needed)."
    )
    confidence: KPIConfidenceOut
    version: int


class ReadingOut(Out):
    id: int
    kpi_id: int
    date: datetime.date
    value: Decimal
    source: str
    entered_by: PersonRef | None
    version: int


class ReadingIn(In):
    date: Day
    value: Value
    source: str = Field(default="", max_length=200)


class ProgramOut(Out):
    id: int
    name: str
    description: str
    owner: PersonRef | None
    initiatives: int
    version: int


# -- initiatives -------------------------------------------------------------------------------------------


RagValue = Literal["green", "amber", "red"]


class StatusOut(Out):
    schedule: RagValue
    cost: RagValue
    scope: RagValue
    benefits: RagValue
    review_held_on: datetime.date | None = Field(
        description="The review the status comes from, while its next checkpoint is not due; null: the status "
        "is suggested by the data (docs/steering.md, current status)."
    )


class ConfidenceOut(Out):
    level: Literal["high", "medium", "low"] | None = Field(
        description="How sure the score is (docs/scoring.md, Confidence); null for an idea or a proposal, "
        "judged on fit alone."
    )
    gaps: dict[str, Literal["missing", "stale"]] = Field(
        description="The components the stage is judged on that are missing or stale."
    )
    words: str = Field(description="The same in words, as the pages say it.")


class KPIConfidenceOut(Out):
    level: Literal["high", "medium", "low", "none"] = Field(
        description="How sure the status is (docs/scoring.md, Confidence)."
    )
    forecast_low: float | None = Field(description="The forecast's 80% interval at the target date: low end.")
    forecast_high: float | None = Field(description="... and high end (null without a trend).")
    words: str = Field(description="The same in words, with the readings' number and age.")


class ScoreOut(Out):
    alignment: float
    fit: float
    outcome: float | None
    delivery: float | None
    governance: float | None
    tier: int | None
    missing: list[str] = Field(
        description="Components that could not be computed (renormalised, never zero)."
    )
    stale: bool = Field(description="A change since the last recompute has not been scored yet.")
    computed_at: datetime.datetime | None
    status: StatusOut | None = Field(
        description="Approved, in delivery or live: the current RAG per dimension; null at other stages."
    )
    confidence: ConfidenceOut


class ContributionBrief(Out):
    id: int
    objective: ObjectiveRef
    strength: str


class BusinessCaseFiguresOut(Out):
    """The figures stored from an initiative's business case (docs/business-case.md)."""

    policy_version: int | None = Field(description="The financial policy they were computed under.")
    npv: Decimal | None
    irr: Decimal | None = Field(description="A fraction (0.2261 is 22.61 %); none when undefined.")
    payback_years: Decimal | None
    discounted_payback_years: Decimal | None
    roi: Decimal | None = Field(description="A fraction, undiscounted; none when there are no costs.")
    total_cost: Decimal
    total_benefit: Decimal


class CaseLineOut(Out):
    kind: str = Field(
        description="capex, opex, revenue, cost_saving, cost_avoidance, risk_reduction or non_financial"
    )
    label: str
    kpi_id: int | None = Field(description="The KPI of a non-financial line (only then).")
    amounts: dict[str, Decimal] = Field(
        description="Amount by calendar year (a KPI value on a non-financial line)."
    )


class BusinessCaseOut(Out):
    initiative_id: int
    first_year: int = Field(description="Year 0 of the financial policy.")
    version: int
    lines: list[CaseLineOut]
    figures: BusinessCaseFiguresOut
    irr_note: str = Field(description="Why there is no IRR, or how it was chosen among several.")


class CaseLineIn(In):
    kind: str = Field(max_length=16)
    label: str = Field(max_length=200)
    kpi_id: int | None = None
    amounts: dict[str, Value] = Field(
        default_factory=dict, description='Amount by calendar year, e.g. {"2027": 1000}.'
    )


class BusinessCaseIn(In):
    first_year: int = Field(ge=1900, le=2200)
    lines: list[CaseLineIn] = Field(max_length=50)
    version: int | None = Field(
        default=None, description="The version you read (or If-Match); none to create."
    )


class InitiativeOut(Out):
    id: int
    code: str
    title: str
    description: str
    program: ProgramRef | None
    category: str
    stage: str
    stage_since: datetime.date | None
    sponsor: PersonRef | None
    manager: PersonRef | None
    sustainment_owner: PersonRef | None
    planned_start: datetime.date | None
    planned_end: datetime.date | None
    actual_start: datetime.date | None
    actual_end: datetime.date | None
    go_live_date: datetime.date | None
    budget_capex: Decimal
    budget_opex: Decimal
    actual_cost: Decimal
    forecast_cost: Decimal | None
    business_case: BusinessCaseFiguresOut | None
    requirements_clarity: int | None
    criticality: int
    urgency: int | None
    mandatory: bool
    mandatory_reason: str
    wsjf_business_value: int | None
    wsjf_time_criticality: int | None
    wsjf_risk_reduction: int | None
    wsjf_job_size: int | None
    score: ScoreOut | None
    contributions: list[ContributionBrief]
    version: int


Category = Literal["run", "grow", "transform"]
WsjfPart = Literal[1, 2, 3, 5, 8, 13, 20]


class InitiativeFields(In):
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=10000)
    program_id: int | None = None
    category: str | None = Field(default=None, max_length=10)
    stage: str | None = Field(default=None, max_length=12)
    sponsor_id: int | None = None
    manager_id: int | None = None
    sustainment_owner_id: int | None = None
    planned_start: Day | None = None
    planned_end: Day | None = None
    actual_start: Day | None = None
    actual_end: Day | None = None
    go_live_date: Day | None = None
    budget_capex: Money | None = None
    budget_opex: Money | None = None
    actual_cost: Money | None = None
    forecast_cost: Money | None = None
    requirements_clarity: int | None = Field(default=None, ge=1, le=5)
    criticality: int | None = Field(default=None, ge=1, le=5)
    urgency: int | None = Field(default=None, ge=1, le=5)
    mandatory: bool | None = None
    mandatory_reason: str | None = Field(default=None, max_length=300)
    wsjf_business_value: WsjfPart | None = None
    wsjf_time_criticality: WsjfPart | None = None
    wsjf_risk_reduction: WsjfPart | None = None
    wsjf_job_size: WsjfPart | None = None


class InitiativeCreate(InitiativeFields):
    code: str = Field(max_length=20)
    title: str = Field(max_length=200)  # type: ignore[assignment]


class InitiativeChange(InitiativeFields):
    code: str | None = Field(default=None, max_length=20)
    version: int | None = Field(default=None, description="The version you read (or send If-Match).")


class ExplanationOut(Out):
    initiative: InitiativeRef
    stored: ScoreOut | None = Field(description="The scores as the last recompute stored them.")
    now: dict[str, Any] = Field(description="The scores computed now from the entered data.")
    explanation: dict[str, Any] = Field(
        description="Why: fit terms by objective, outcome terms by KPI, delivery, governance, tier, composite "
        "and missing components, as docs/alignment.md defines them (objectives and KPIs by id)."
    )


# -- contributions, milestones, scope changes, risks -------------------------------------------------------


class ContributionOut(Out):
    id: int
    initiative: InitiativeRef
    objective: ObjectiveRef
    strength: str
    rationale: str
    kpi_id: int | None
    expected_change: Decimal | None
    version: int


class ContributionFields(In):
    objective_id: int | None = None
    strength: str | None = Field(default=None, max_length=10)
    rationale: str | None = Field(default=None, max_length=5000)
    kpi_id: int | None = None
    expected_change: Value | None = None


class ContributionCreate(ContributionFields):
    initiative_id: int
    objective_id: int  # type: ignore[assignment]
    rationale: str = Field(max_length=5000)  # type: ignore[assignment]


class ContributionChange(ContributionFields):
    version: int | None = None


class MilestoneOut(Out):
    id: int
    initiative: InitiativeRef
    name: str
    baseline_date: datetime.date
    forecast_date: datetime.date | None
    actual_date: datetime.date | None
    version: int


class MilestoneFields(In):
    name: str | None = Field(default=None, max_length=200)
    baseline_date: Day | None = None
    forecast_date: Day | None = None
    actual_date: Day | None = None


class MilestoneCreate(MilestoneFields):
    initiative_id: int
    name: str = Field(max_length=200)  # type: ignore[assignment]
    baseline_date: Day  # type: ignore[assignment]


class MilestoneChange(MilestoneFields):
    version: int | None = None


class ScopeChangeOut(Out):
    id: int
    initiative: InitiativeRef
    date: datetime.date
    description: str
    rationale: str
    cost_impact: Decimal
    schedule_impact_days: int
    status: str
    approved_by: PersonRef | None
    version: int


class RiskOut(Out):
    id: int
    initiative: InitiativeRef
    title: str
    description: str
    category: str
    probability: int
    impact: int
    exposure: int = Field(description="probability x impact, 1-25.")
    owner: PersonRef | None
    mitigation: str
    status: str
    review_date: datetime.date | None
    version: int


class RiskFields(In):
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    category: str | None = Field(default=None, max_length=12)
    probability: int | None = Field(default=None, ge=1, le=5)
    impact: int | None = Field(default=None, ge=1, le=5)
    owner_id: int | None = None
    mitigation: str | None = Field(default=None, max_length=5000)
    status: str | None = Field(default=None, max_length=10)
    review_date: Day | None = None


class RiskCreate(RiskFields):
    initiative_id: int
    title: str = Field(max_length=200)  # type: ignore[assignment]
    probability: int = Field(ge=1, le=5)  # type: ignore[assignment]
    impact: int = Field(ge=1, le=5)  # type: ignore[assignment]


class RiskChange(RiskFields):
    version: int | None = None


# -- engine: scores, signals, indices ----------------------------------------------------------------------


class ScoreRow(ScoreOut):
    initiative: InitiativeRef


class SignalOut(Out):
    id: int
    rule: str
    severity: str
    message: str
    initiative: InitiativeRef | None
    objective_id: int | None
    kpi_id: int | None
    program_id: int | None
    owner: PersonRef | None
    measured: float | None
    threshold: float | None
    evidence: list[Any]
    first_seen: datetime.datetime
    last_seen: datetime.datetime


class IndexOut(Out):
    date: datetime.date
    scope: str = Field(description='"all" for the portfolio, "program:<id>" for one program.')
    computed_at: datetime.datetime
    policy_version: int
    funded_budget: float
    alignment_index: float | None
    top_share: float | None
    misallocation: float | None
    coverage: float | None
    predictability: float | None
    red_signals: int
    amber_signals: int


# -- steering: meetings, reviews and decisions, actions ----------------------------------------------------


class AgendaItemOut(Out):
    id: int
    initiative: InitiativeRef
    position: int
    for_noting: bool
    status: str
    minutes: int | None
    review_id: int | None
    version: int


class MeetingOut(Out):
    id: int
    committee: str
    title: str
    held_on: datetime.date
    location: str
    status: str
    notes: str
    agenda: list[AgendaItemOut] = Field(description="Only on a single meeting (empty in lists).")
    version: int


class ReviewOut(Out):
    id: int
    initiative: InitiativeRef
    meeting_id: int | None
    held_on: datetime.date
    rag_schedule: str
    rag_cost: str
    rag_scope: str
    rag_benefits: str
    decision: str
    rationale: str
    recorded_by: PersonRef | None
    version: int


class ConditionIn(In):
    title: str = Field(max_length=300)
    owner_id: int | None = None
    due_date: Day | None = None


class ReviewCreate(In):
    agenda_item_id: int
    rag_schedule: str = Field(max_length=5)
    rag_cost: str = Field(max_length=5)
    rag_scope: str = Field(max_length=5)
    rag_benefits: str = Field(max_length=5)
    decision: str = Field(max_length=24)
    rationale: str = Field(max_length=5000)
    attendee_ids: list[int] = Field(max_length=200)
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=50)


class ActionOut(Out):
    id: int
    initiative: InitiativeRef
    review_id: int | None
    title: str
    owner: PersonRef | None
    due_date: datetime.date
    status: str
    completed_on: datetime.date | None
    note: str
    version: int


class ActionChange(In):
    title: str | None = Field(default=None, max_length=300)
    owner_id: int | None = None
    due_date: Day | None = None
    status: str | None = Field(default=None, max_length=10)
    completed_on: Day | None = None
    note: str | None = Field(default=None, max_length=5000)
    version: int | None = None


# -- benefit plans ------------------------------------------------------------------------------------------


class BenefitKPIRef(Out):
    id: int
    name: str
    unit: str


class BenefitQuarterOut(Out):
    year: int
    quarter: int = Field(description="1 to 4 (Q1 = January to March).")
    expected: Decimal | None
    actual: Decimal | None = Field(
        description="Entered, or on a plan derived from KPI readings computed now by the attribution rule "
        "(docs/benefits.md); none when there is none."
    )
    actual_from: str = Field(description="entered, derived, or empty when there is no actual.")
    note: str = Field(description="Why a derived actual is what it is, or that the quarter is to come.")


class ForecastConfidenceOut(Out):
    level: Literal["high", "medium", "low", "none"] = Field(
        description="How sure the forecast is: the share of the plan behind it and measured (docs/benefits.md)."
    )
    words: str


class BenefitRealisationOut(Out):
    """A plan's realisation as of a day (docs/benefits.md): the quarters ended by then are "to date"."""

    as_of: datetime.date
    expected_to_date: Decimal
    realised_to_date: Decimal
    variance: Decimal = Field(description="Realised less expected to date.")
    variance_fraction: Decimal | None = Field(
        description="The variance as a fraction of the expected to date (-0.506485 is -50.6485 %); none when "
        "nothing was expected to date."
    )
    realisation_rate: Decimal | None = Field(
        description="Realised over expected to date, a fraction; none when nothing was expected to date."
    )
    total_expected: Decimal
    forecast: Decimal = Field(
        description="Realised to date plus the quarters to come at the realisation rate so far."
    )
    forecast_variance: Decimal = Field(description="The forecast less the total expected.")
    quarters_lacking_actual: list[str] = Field(
        description='Quarters to date that expected a benefit and have no actual ("2026 Q3").'
    )
    forecast_confidence: ForecastConfidenceOut


class BenefitPlanOut(Out):
    id: int = Field(description="The plan's id: the id of its business case line.")
    initiative: InitiativeRef
    line: str = Field(description="The business case line's label.")
    kind: str = Field(description="revenue, cost_saving, cost_avoidance, risk_reduction or non_financial")
    financial: bool = Field(description="Money; otherwise values in the KPI's unit.")
    owner: PersonRef | None = Field(description="The plan's owner, or the initiative's sustainment owner.")
    owner_is_default: bool = Field(description="No owner entered: the sustainment owner answers for it.")
    kpi: BenefitKPIRef | None
    source: str = Field(description="entered or derived (from the KPI's readings)")
    version: int
    quarters: list[BenefitQuarterOut]
    realisation: BenefitRealisationOut


class InitiativeBenefitPlans(Out):
    initiative: InitiativeRef
    items: list[BenefitPlanOut]


BenefitPlanPage = Page[BenefitPlanOut]
ObjectivePage = Page[ObjectiveOut]
KPIPage = Page[KPIOut]
ReadingPage = Page[ReadingOut]
ProgramPage = Page[ProgramOut]
InitiativePage = Page[InitiativeOut]
ContributionPage = Page[ContributionOut]
MilestonePage = Page[MilestoneOut]
ScopeChangePage = Page[ScopeChangeOut]
RiskPage = Page[RiskOut]
ScorePage = Page[ScoreRow]
SignalPage = Page[SignalOut]


class PortfolioDecisionOut(Out):
    id: int
    kind: str
    outcome: str
    subject: str
    initiative: InitiativeRef | None
    rationale: str
    decided_by: PersonRef | None
    decided_at: datetime.datetime
    link: str


class ProposalEventOut(Out):
    kind: str
    by: PersonRef | None
    at: datetime.datetime
    note: str
    decision_id: int | None


class ProposalOut(Out):
    id: int
    initiative: InitiativeRef
    target_stage: str
    status: str
    submitted_by: PersonRef | None
    submitted_at: datetime.datetime
    decided_by: PersonRef | None
    decided_at: datetime.datetime | None
    events: list[ProposalEventOut]
    version: int


class ProposalSubmit(In):
    initiative_id: int
    note: str = Field(default="", max_length=5000)


class ProposalDecision(In):
    outcome: str = Field(max_length=10, description="approved, rejected or returned")
    rationale: str = Field(max_length=5000)
    version: int | None = None


IndexPage = Page[IndexOut]
MeetingPage = Page[MeetingOut]
ReviewPage = Page[ReviewOut]
ActionPage = Page[ActionOut]
PortfolioDecisionPage = Page[PortfolioDecisionOut]
ProposalPage = Page[ProposalOut]


# Planning: prioritisation ------------------------------------------------------------------------------------


class RankCriterionOut(BaseModel):
    criterion: str
    label: str
    raw: float
    normalised: float = Field(description="The raw value on 0..1 under the criterion's normalisation.")
    weight: float = Field(description="The criterion's share of the weight, renormalised over those present.")
    points: float = Field(description="100 × weight × normalised; the points add up to the score.")


class RankWsjfOut(BaseModel):
    business_value: int | None
    time_criticality: int | None
    risk_reduction: int | None
    job_size: int | None
    cost_of_delay: int | None
    wsjf: float | None


class RankSponsorOut(BaseModel):
    npv: Decimal | None = Field(description="The business case's NPV, before the adjustment.")
    factor: float = Field(
        description="The sponsor's factor, 0.5 to 1 (docs/scoring.md, “The sponsor adjustment”)."
    )
    npv_adjusted: Decimal | None = Field(description="The NPV the score used: NPV × factor, to the cent.")
    record: str = Field(description="Where the factor comes from, in words.")


class RankOut(BaseModel):
    rank: int | None = Field(description="Null for a candidate WSJF cannot rank (not all four parts sized).")
    initiative_id: int
    code: str
    title: str
    stage: str
    mandatory: bool
    mandatory_reason: str
    score: float | None = Field(description="Scoring model: 0-100; null when no weighted figure is known.")
    missing: list[str]
    criteria: list[RankCriterionOut]
    wsjf: RankWsjfOut | None
    sponsor: RankSponsorOut | None = Field(
        default=None, description="With the scoring model's sponsor adjustment on: the NPV's discount."
    )


class RankingOut(BaseModel):
    method: Literal["score", "wsjf"]
    scoring_model_version: int | None
    total: int
    offset: int
    items: list[RankOut]


class ScoringCriterionOut(BaseModel):
    key: str
    label: str
    weight: float
    share: float
    normalisation: Literal["fixed", "min_max"]
    higher_is_better: bool
    low: float
    high: float


class ScoringModelOut(BaseModel):
    number: int
    current: bool
    rationale: str
    created_at: datetime.datetime
    created_by: int | None
    criteria: list[ScoringCriterionOut]
    sponsor_adjustment: bool


class ScoringModelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    based_on: int = Field(ge=1, description="The current version's number (409 if another was saved since).")
    weights: dict[str, Decimal] = Field(
        default_factory=dict, description="New weights by criterion key (0 to 1000, used in proportion)."
    )
    normalisations: dict[str, Literal["fixed", "min_max"]] = Field(default_factory=dict)
    rationale: str = Field(min_length=1, max_length=2000)
    sponsor_adjustment: bool | None = Field(
        default=None,
        strict=True,
        description="Discount each candidate's NPV by its sponsor's record (null: as in the current version).",
    )


class TeamOut(BaseModel):
    id: int
    name: str
    description: str
    manager: int | None = Field(description="The manager's user id.")
    members: int
    version: int


class HeatCellOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    capacity: float = Field(description="Person-days.")
    run: float
    committed: float
    proposed: float
    utilisation: float | None = Field(description="Per cent; null where there is no capacity.")
    over: bool = Field(
        description="Above the policy's over-allocation threshold (or demand without capacity)."
    )


class CapacityShareOut(BaseModel):
    capacity: float
    run: float
    committed: float
    proposed: float
    run_share: float | None = Field(description="Run demand / capacity, per cent.")
    change_room: float | None = Field(description="What run leaves for change, per cent of capacity.")
    meets_target: bool | None


class HeatTeamOut(BaseModel):
    team_id: int
    name: str
    cells: list[HeatCellOut]
    share: CapacityShareOut


class HeatMapOut(BaseModel):
    months: list[str]
    proposals: bool
    overload_threshold: float
    change_share_target: float
    total_teams: int
    offset: int
    teams: list[HeatTeamOut]
    overall: CapacityShareOut
