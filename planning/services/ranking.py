"""Prioritisation from the database: the candidates' figures read in one query, ranked under a version of the
scoring model or by WSJF (planning.ranking holds the formulas), the ranking's sensitivity, and new versions of
the scoring model (the PMO writes; everyone with a role reads).

Where each criterion's raw value comes from (docs/planning-priorities.md, "Where the figures come from"):

- strategic fit: the engine's stored fit (alignment.models.InitiativeScore.fit, 0-100); missing until the
  engine has scored the initiative;
- financial value: the business case's stored NPV; missing without a business case or a computed NPV;
- risk exposure: the largest probability × impact (1-25) among the initiative's active risks; missing when no
  active risk is recorded;
- urgency: the initiative's urgency (1-5), as entered; missing when not assessed.

The mandatory flag and WSJF's four parts are entered on the initiative. With a version's sponsor adjustment
on, the financial value is the NPV times the sponsor's factor (planning.sponsor; docs/scoring.md, "The sponsor
adjustment"), the records read once for all the candidates.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, IntegerField, Max, OuterRef, QuerySet, Subquery

from core.errors import ApplicationError, NotAllowed
from core.roles import can_edit_portfolio
from core.stages import Stage
from planning import ranking
from planning.models import ScoringModelVersion
from planning.models.ranking import criterion_from_dict, criterion_to_dict
from planning.services.sponsor import sponsor_adjustments
from planning.sponsor import SponsorAdjustment
from portfolio.models import Category, Initiative
from risk.models import Risk

PMO_ONLY_MODEL = "Only the PMO changes the scoring model."
DEFAULT_STAGES: tuple[str, ...] = (Stage.IDEA, Stage.PROPOSED, Stage.APPROVED)
METHODS = ("score", "wsjf")
MAX_WEIGHT = Decimal("1000")
# the criteria a candidate's figures are read for, in the scoring model's order; a criterion whose values are
# not on a natural scale (NPV) can only be normalised min-max across the candidates
CRITERIA = ("strategic_fit", "financial_value", "risk", "urgency")
FIXED_SCALES: dict[str, tuple[float, float]] = {"strategic_fit": (0, 100), "risk": (1, 25), "urgency": (1, 5)}
MISSING_REASONS = {
    "strategic_fit": "not scored by the engine yet",
    "financial_value": "no business case NPV",
    "risk": "no active risk recorded",
    "urgency": "urgency not assessed",
}
WSJF_PARTS = ("wsjf_business_value", "wsjf_time_criticality", "wsjf_risk_reduction", "wsjf_job_size")


class ModelMoved(ApplicationError):
    """The scoring model gained a version since the one the change was based on; nothing was saved."""


@dataclass(frozen=True)
class CandidateFilters:
    """Which initiatives are candidates: stages (default Idea, Proposed, Approved), a program, a category."""

    stages: tuple[str, ...] = DEFAULT_STAGES
    program: int | None = None
    category: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> CandidateFilters:
        """From a query string (a QueryDict or a dict of lists); anything unknown is ignored, never an error."""
        getlist = query.getlist if hasattr(query, "getlist") else lambda name: list(query.get(name) or [])
        stages = tuple(dict.fromkeys(s for s in getlist("stage") if s in Stage.values))
        program_raw = str(query.get("program") or "")
        category = str(query.get("category") or "")
        return cls(
            stages=stages or DEFAULT_STAGES,
            program=int(program_raw) if program_raw.isdigit() and len(program_raw) < 10 else None,
            category=category if category in Category.values else None,
        )

    def as_query(self) -> list[tuple[str, str]]:
        pairs = [("stage", stage) for stage in self.stages]
        if self.program is not None:
            pairs.append(("program", str(self.program)))
        if self.category:
            pairs.append(("category", self.category))
        return pairs


@dataclass(frozen=True)
class CandidateRow:
    """One candidate initiative as read: its facts for the page and its raw value per criterion."""

    id: int
    code: str
    title: str
    stage: str
    program: str | None
    category: str
    mandatory: bool
    mandatory_reason: str
    values: dict[str, float | Decimal | None]
    wsjf: tuple[int | None, int | None, int | None, int | None]
    sponsor_id: int | None = None

    def candidate(self, adjustment: SponsorAdjustment | None = None) -> ranking.Candidate:
        """The pure candidate; with an adjustment, its financial value is the NPV times the sponsor's factor."""
        values = self.values
        if adjustment is not None and adjustment.adjusts:
            values = {**values, "financial_value": adjustment.apply(values.get("financial_value"))}
        return ranking.Candidate(self.code, self.title, values, self.mandatory)

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)


@dataclass(frozen=True)
class RankedRow:
    """A ranked candidate, its row, and (score method) the explanation or (WSJF) the quotient's parts."""

    rank: int | None
    row: CandidateRow
    score: float | None = None
    contributions: tuple[ranking.Contribution, ...] = ()
    missing: tuple[str, ...] = ()
    cost_of_delay: int | None = None
    wsjf: float | None = None
    # with the sponsor adjustment on: the candidate's factor and its record (None when it is off)
    sponsor: SponsorAdjustment | None = None

    @property
    def npv(self) -> float | Decimal | None:
        """The business case's NPV, before any adjustment."""
        return self.row.values.get("financial_value")

    @property
    def adjusted_npv(self) -> Decimal | None:
        """The NPV the score used: times the sponsor's factor when the adjustment is on."""
        npv = self.npv
        if npv is None:
            return None
        return self.sponsor.apply(npv) if self.sponsor is not None else Decimal(str(npv))


@dataclass(frozen=True)
class RankingResult:
    """The ranked candidates of one method, and (WSJF) those not yet sized, listed after them unranked."""

    method: str
    version: ScoringModelVersion | None
    rows: list[RankedRow] = field(default_factory=list)


def _exposure() -> Subquery:
    return Subquery(
        Risk.objects.active()
        .filter(initiative=OuterRef("pk"))
        .order_by()
        .values("initiative")
        .annotate(top=Max(F("probability") * F("impact")))
        .values("top")[:1],
        output_field=IntegerField(),
    )


def _rows(initiatives: QuerySet[Initiative]) -> list[CandidateRow]:
    # one query whatever the number of candidates: the engine's fit, the NPV and the largest active risk are
    # joined or computed in it
    values = (
        initiatives.order_by("code")
        .annotate(exposure=_exposure())
        .values_list(
            "pk",
            "code",
            "title",
            "stage",
            "program__name",
            "category",
            "mandatory",
            "mandatory_reason",
            "score__fit",
            "business_case__npv",
            "urgency",
            *WSJF_PARTS,
            "exposure",
            "sponsor_id",
        )
    )
    return [
        CandidateRow(
            id=pk,
            code=code,
            title=title,
            stage=stage,
            program=program,
            category=category,
            mandatory=mandatory,
            mandatory_reason=reason,
            values={
                "strategic_fit": fit,
                "financial_value": npv,
                "risk": exposure,
                "urgency": urgency,
            },
            wsjf=(value, time, risk, size),
            sponsor_id=sponsor_id,
        )
        for (
            pk,
            code,
            title,
            stage,
            program,
            category,
            mandatory,
            reason,
            fit,
            npv,
            urgency,
            value,
            time,
            risk,
            size,
            exposure,
            sponsor_id,
        ) in values
    ]


def candidate_rows(filters: CandidateFilters) -> list[CandidateRow]:
    """The candidate initiatives and their figures, in code order (one query)."""
    initiatives = Initiative.objects.filter(stage__in=filters.stages)
    if filters.program is not None:
        initiatives = initiatives.filter(program_id=filters.program)
    if filters.category:
        initiatives = initiatives.filter(category=filters.category)
    return _rows(initiatives)


def current_scoring_model() -> ScoringModelVersion:
    """The current version (the highest number); version 1 (the default) is created if none exists."""
    current = ScoringModelVersion.objects.order_by("-number").first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return ScoringModelVersion.objects.create(
                number=1,
                criteria=[criterion_to_dict(c) for c in ranking.default_scoring_model().criteria],
                rationale="Bearing's default scoring model (see docs/planning-priorities.md).",
            )
    except IntegrityError:
        return ScoringModelVersion.objects.get(number=1)


def scoring_model(number: int | None) -> ScoringModelVersion:
    """Version `number`, or the current one; an unknown number is refused."""
    if number is None:
        return current_scoring_model()
    version = ScoringModelVersion.objects.filter(number=number).first()
    if version is None:
        raise ApplicationError(f"There is no version {number} of the scoring model.")
    return version


def scored_candidates(
    rows: Sequence[CandidateRow], version: ScoringModelVersion, *, today: datetime.date | None = None
) -> tuple[list[ranking.Candidate], dict[str, SponsorAdjustment]]:
    """The pure candidates the version scores, and (its sponsor adjustment on) each one's adjustment by code:
    the sponsors' records read once for all of them (planning.services.sponsor, at most five queries)."""
    if not version.sponsor_adjustment:
        return [row.candidate() for row in rows], {}
    found = sponsor_adjustments({row.id: row.sponsor_id for row in rows}, today=today)
    adjustments = {row.code: found[row.id] for row in rows}
    return [row.candidate(adjustments[row.code]) for row in rows], adjustments


def rank_by_score(
    rows: list[CandidateRow], version: ScoringModelVersion, *, today: datetime.date | None = None
) -> RankingResult:
    """The candidates ranked under the version, each with its explanation criterion by criterion (with the
    sponsor adjustment on, the NPV it scores is discounted by the sponsor's factor; `today` dates the
    sponsors' records, the local date when None)."""
    candidates, adjustments = scored_candidates(rows, version, today=today)
    result = ranking.rank_candidates(version.model(), candidates)
    by_code = {row.code: row for row in rows}
    return RankingResult(
        "score",
        version,
        [
            RankedRow(
                rank=item.rank,
                row=by_code[item.key],
                score=item.score,
                contributions=item.contributions,
                missing=item.missing,
                sponsor=adjustments.get(item.key),
            )
            for item in result.items
        ],
    )


def rank_by_wsjf(rows: list[CandidateRow]) -> RankingResult:
    """The candidates sized on all four WSJF parts ranked by WSJF; the others after them, unranked, by code."""
    sized = [row for row in rows if all(part is not None for part in row.wsjf)]
    items = ranking.rank_wsjf(
        [
            ranking.WsjfItem(
                key=row.code,
                title=row.title,
                business_value=int(row.wsjf[0] or 0),
                time_criticality=int(row.wsjf[1] or 0),
                risk_reduction=int(row.wsjf[2] or 0),
                job_size=int(row.wsjf[3] or 0),
                mandatory=row.mandatory,
            )
            for row in sized
        ]
    )
    by_code = {row.code: row for row in rows}
    ranked = [
        RankedRow(
            rank=item.rank, row=by_code[item.item.key], cost_of_delay=item.cost_of_delay, wsjf=item.wsjf
        )
        for item in items
    ]
    unsized = [RankedRow(rank=None, row=row) for row in rows if any(part is None for part in row.wsjf)]
    return RankingResult("wsjf", None, ranked + unsized)


def candidate_ranking(
    filters: CandidateFilters,
    *,
    method: str = "score",
    version: ScoringModelVersion | None = None,
    today: datetime.date | None = None,
) -> RankingResult:
    """The candidates of `filters` ranked by `method` ("score" under `version` or the current one, "wsjf")."""
    rows = candidate_rows(filters)
    if method == "wsjf":
        return rank_by_wsjf(rows)
    return rank_by_score(rows, version or current_scoring_model(), today=today)


def ranking_sensitivity(
    filters: CandidateFilters,
    *,
    tops: Sequence[int],
    version: ScoringModelVersion | None = None,
    today: datetime.date | None = None,
) -> tuple[list[ranking.TopSensitivity], list[CandidateRow]]:
    """For each N in `tops`: how far each criterion's weight must move, down and up, before the first N
    candidates change (the candidates read once; the NPVs discounted as the version's ranking does)."""
    version = version or current_scoring_model()
    rows = candidate_rows(filters)
    candidates, _ = scored_candidates(rows, version, today=today)
    model = version.model()
    return [ranking.top_sensitivity(model, candidates, top) for top in tops], rows


def priority_scores(initiative_ids: Collection[int]) -> dict[int, float]:
    """Each initiative's priority score (0-100) under the current scoring model, ranked over exactly the given
    set (min-max criteria such as NPV are normalised among these initiatives, whatever their stage; with the
    current version's sponsor adjustment on, NPVs are discounted as in the ranking).

    What the scenario optimiser maximises as "priority score". An initiative without any weighted figure
    scores 0.0; an id that names no initiative is left out of the result. The mandatory flag is not part of
    the score (it is a precedence in the ranking; a scenario treats it as a constraint). Three queries (and at
    most five more with the sponsor adjustment on), whatever the number of ids.
    """
    ids = list(dict.fromkeys(int(pk) for pk in initiative_ids))
    if not ids:
        return {}
    rows = _rows(Initiative.objects.filter(pk__in=ids))
    result = rank_by_score(rows, current_scoring_model())
    return {item.row.id: item.score if item.score is not None else 0.0 for item in result.rows}


# Writes -----------------------------------------------------------------------------------------------------


def _weight(value: Any, key: str) -> float:
    try:
        weight = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ApplicationError(
            "Not a number.", field_errors={f"weight_{key}": ["Enter a number, e.g. 40 or 0.4."]}
        ) from None
    if not weight.is_finite() or not Decimal(0) <= weight <= MAX_WEIGHT:
        raise ApplicationError(
            "A weight out of range.", field_errors={f"weight_{key}": ["A weight is from 0 to 1000."]}
        )
    return float(weight.quantize(Decimal("0.0001")))


def scoring_model_create(
    *,
    user: Any,
    weights: Mapping[str, Any],
    normalisations: Mapping[str, str] | None = None,
    rationale: str,
    based_on: int,
    sponsor_adjustment: bool | None = None,
) -> ScoringModelVersion:
    """A new version of the scoring model from the current one with new weights (used in proportion) and,
    for the criteria on a natural scale, fixed or min-max normalisation, and the sponsor adjustment on or off
    (None: as in the current version); the current version's number (`based_on`) guards against a change
    saved by someone else meanwhile. PMO only; nothing is written on a refusal."""
    if not can_edit_portfolio(user):
        raise NotAllowed(PMO_ONLY_MODEL)
    rationale = (rationale or "").strip()
    if not rationale:
        raise ApplicationError(
            "Say why the weights change.",
            field_errors={"rationale": ["Say why, e.g. “Board 2027-03: urgency counts more”."]},
        )
    normalisations = normalisations or {}
    with transaction.atomic(durable=True):
        current = current_scoring_model()
        current = ScoringModelVersion.objects.select_for_update().get(pk=current.pk)
        if current.number != based_on:
            raise ModelMoved(
                f"Version {current.number} of the scoring model was saved since you opened version "
                f"{based_on}: review it and change it again if yours should win."
            )
        criteria = []
        errors: dict[str, list[str]] = {}
        for criterion in current.model().criteria:
            try:
                weight = _weight(weights.get(criterion.key, criterion.weight), criterion.key)
            except ApplicationError as error:
                errors.update(error.field_errors)
                continue
            normalisation = criterion.normalisation
            chosen = normalisations.get(criterion.key)
            if chosen:
                if chosen not in {n.value for n in ranking.Normalisation} or (
                    chosen == ranking.Normalisation.FIXED and criterion.key not in FIXED_SCALES
                ):
                    errors[f"normalisation_{criterion.key}"] = [
                        "Choose a normalisation this criterion allows."
                    ]
                    continue
                normalisation = ranking.Normalisation(chosen)
            low, high = FIXED_SCALES.get(criterion.key, (criterion.low, criterion.high))
            criteria.append(
                {
                    **criterion_to_dict(criterion),
                    "weight": weight,
                    "normalisation": normalisation.value,
                    "low": float(low),
                    "high": float(high),
                }
            )
        if errors:
            raise ApplicationError("Some values were refused: nothing was saved.", field_errors=errors)
        if sum(item["weight"] for item in criteria) <= 0:
            raise ApplicationError(
                "At least one criterion needs a weight above 0.",
                field_errors={f"weight_{CRITERIA[0]}": ["At least one weight must be above 0."]},
            )
        ranking.ScoringModel(current.number + 1, tuple(criterion_from_dict(item) for item in criteria))
        return ScoringModelVersion.objects.create(
            number=current.number + 1,
            criteria=criteria,
            rationale=rationale[:2000],
            created_by=user,
            sponsor_adjustment=current.sponsor_adjustment
            if sponsor_adjustment is None
            else bool(sponsor_adjustment),
        )


def versions_page_rows(versions: Iterable[ScoringModelVersion]) -> list[dict[str, Any]]:
    """Each version with its criteria's shares of the weight (what the versions table shows)."""
    rows = []
    for version in versions:
        model = version.model()
        shares = model.weights()
        rows.append(
            {
                "version": version,
                "criteria": [{"criterion": c, "share": shares[c.key]} for c in model.criteria],
            }
        )
    return rows


__all__ = [
    "CRITERIA",
    "DEFAULT_STAGES",
    "METHODS",
    "ModelMoved",
    "MISSING_REASONS",
    "PMO_ONLY_MODEL",
    "CandidateFilters",
    "CandidateRow",
    "RankedRow",
    "RankingResult",
    "candidate_ranking",
    "candidate_rows",
    "current_scoring_model",
    "priority_scores",
    "rank_by_score",
    "rank_by_wsjf",
    "ranking_sensitivity",
    "scored_candidates",
    "scoring_model",
    "scoring_model_create",
    "versions_page_rows",
]
