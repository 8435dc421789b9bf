"""Reads and aggregations for portfolio pages. Each selector issues a fixed number of queries."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils.text import capfirst

from core.extensions import registry
from core.formatting import field_display, person
from core.stages import STAGE_GROUPS, STAGE_ORDER
from portfolio.models import (
    KPI,
    Artefact,
    BenefitPeriod,
    BenefitPlan,
    BusinessCase,
    BusinessCaseAmount,
    BusinessCaseLine,
    Contribution,
    Initiative,
    Milestone,
    Objective,
    ObjectiveStatus,
    Program,
    Reading,
    ScopeChange,
    Strength,
)
from portfolio.models.objectives import MAX_OBJECTIVE_DEPTH

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# ---------------------------------------------------------------------------------------------- register

SEARCH_TERM = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')
MAX_SEARCH_TERMS = 8


def parse_search(text: str) -> tuple[list[str], list[str]]:
    """Split a search box into required and excluded terms: `checkout "gift card" -pilot`."""
    include: list[str] = []
    exclude: list[str] = []
    for match in SEARCH_TERM.finditer(text or ""):
        negated = match.group(1) or match.group(3)
        term = (match.group(2) or match.group(4) or "").strip()
        if not term or term == "-":
            continue
        (exclude if negated else include).append(term)
    return include[:MAX_SEARCH_TERMS], exclude[:MAX_SEARCH_TERMS]


def _term_q(term: str) -> Q:
    # The programs whose name matches are looked up first (a small table; one query per term) and matched by
    # id, not through a join or a subquery: every condition is then on the initiative's own indexed columns,
    # which PostgreSQL combines (its trigram indexes, portfolio migration 0009, and the program's index)
    # instead of reading the whole table.
    programs = list(Program.objects.filter(name__icontains=term).values_list("pk", flat=True))
    return (
        Q(code__icontains=term)
        | Q(title__icontains=term)
        | Q(description__icontains=term)
        | Q(program_id__in=programs)
    )


STAGE_RANK = Case(
    *[When(stage=stage, then=Value(rank)) for stage, rank in STAGE_ORDER.items()],
    output_field=IntegerField(),
)

BASE_SORTS: dict[str, Any] = {
    "code": F("code"),
    "title": F("title"),
    "stage": F("stage_rank"),
    "category": F("category"),
    "program": F("program__name"),
    "sponsor": F("sponsor__last_name"),
    "budget": F("total_budget"),
    "end": F("planned_end"),
}


def register_sorts() -> dict[str, Any]:
    sorts = dict(BASE_SORTS)
    for column in registry.ordered_columns():
        if column.sort_field:
            sorts[column.key] = F(column.sort_field)
    return sorts


@dataclass(frozen=True)
class RegisterFilters:
    q: str = ""
    stage: str = ""
    category: str = ""
    program: int | None = None
    sponsor: int | None = None
    objective: int | None = None
    sort: str = "code"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unfiltered(self) -> bool:
        """Whether every initiative is listed (in whichever order)."""
        return self == RegisterFilters(sort=self.sort)


class RegisterRow(TypedDict):
    """What initiative_register() annotates on each initiative (besides what the register's columns add)."""

    total_budget: Decimal
    stage_rank: int


# a page of the register builds some 500 records: each column left out is a value less to read and convert
REGISTER_UNUSED = (
    "description",
    "version",
    "created_at",
    "updated_at",
    *(f"program__{name}" for name in ("description", "version", "created_at", "updated_at", "owner")),
    *(
        f"sponsor__{name}"
        for name in (
            "password",
            "last_login",
            "email",
            "date_joined",
            "is_superuser",
            "is_staff",
            "is_active",
        )
    ),
)


def initiative_register(filters: RegisterFilters) -> QuerySet[WithAnnotations[Initiative, RegisterRow]]:
    """The register's rows: searched, filtered and sorted in the database, ready to paginate."""
    rows: QuerySet[Any] = (
        Initiative.objects.select_related("program", "sponsor")
        # what the register never shows stays out of the rows the database sorts
        .defer(*REGISTER_UNUSED)
        .annotate(total_budget=F("budget_capex") + F("budget_opex"), stage_rank=STAGE_RANK)
    )
    include, exclude = parse_search(filters.q)
    for term in include:
        rows = rows.filter(_term_q(term))
    for term in exclude:
        rows = rows.exclude(_term_q(term))
    if filters.stage in STAGE_GROUPS:
        rows = rows.filter(stage__in=STAGE_GROUPS[filters.stage][1])
    elif filters.stage:
        rows = rows.filter(stage=filters.stage)
    if filters.category:
        rows = rows.filter(category=filters.category)
    if filters.program:
        rows = rows.filter(program_id=filters.program)
    if filters.sponsor:
        rows = rows.filter(sponsor_id=filters.sponsor)
    if filters.objective:
        # serving an objective: contributing (weak or more) to it or to an objective under it, as the
        # dashboard counts spend and as its theme filter selects
        below = Q(objective_id=filters.objective)
        for depth in range(1, MAX_OBJECTIVE_DEPTH):
            below |= Q(**{"objective__" + "parent__" * (depth - 1) + "parent_id": filters.objective})
        rows = rows.filter(
            Exists(
                Contribution.objects.filter(below, initiative=OuterRef("pk")).exclude(strength=Strength.NONE)
            )
        )
    for column in registry.ordered_columns():
        rows = column.annotate(rows)
        value = filters.extra.get(column.key)
        if value and column.apply_filter is not None:
            rows = column.apply_filter(rows, value)
    key = filters.sort.lstrip("-")
    expression = register_sorts().get(key, F("code"))
    descending = filters.sort.startswith("-")
    ordered = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return rows.order_by(ordered, "code")


def sponsors() -> QuerySet[Any]:
    """People who sponsor at least one initiative, for the register's sponsor filter."""
    User = get_user_model()
    return User.objects.filter(Exists(Initiative.objects.filter(sponsor=OuterRef("pk")))).order_by(
        "first_name", "last_name"
    )


# ---------------------------------------------------------------------------------------------- objectives


TREE_LIMIT = 150  # objectives the tree page renders at most: a larger tree shows its top levels
TREE_KPIS = 3  # KPIs under each objective of the tree (its page lists them all)


@dataclass
class ObjectiveNode:
    objective: Objective
    depth: int
    local_share: float
    global_weight: float
    children: list[ObjectiveNode] = field(default_factory=list)
    kpis: list[KPI] = field(default_factory=list)
    initiative_count: int = 0
    kpi_count: int = 0  # all its KPIs; `kpis` holds the first TREE_KPIS by name
    child_count: int = 0  # objectives directly below it
    descendant_count: int = 0  # objectives below it at any depth

    @property
    def more_kpis(self) -> int:
        return self.kpi_count - len(self.kpis)

    @property
    def grandchild_count(self) -> int:
        return self.descendant_count - self.child_count

    @property
    def folded(self) -> int:
        """Objectives below it that the tree does not show (its branch opens on demand)."""
        return 0 if self.children else self.descendant_count


@dataclass
class ObjectiveTree:
    """The objective tree (or the branch under `root`) as the tree page shows it: every objective when there
    are at most TREE_LIMIT, else the top levels that fit, each folded node saying how many are below it."""

    nodes: list[ObjectiveNode]
    root: Objective | None
    total: int  # objectives in the tree (below the root)
    shown: int
    levels: int  # levels shown
    top_level: int  # objectives on the first level
    offset: int  # when the first level alone exceeds the limit: where this page of it starts
    limit: int

    @property
    def complete(self) -> bool:
        return self.shown == self.total

    @property
    def more_top(self) -> int:
        """First-level objectives after this page of them."""
        return max(0, self.top_level - self.offset - self.limit) if self.levels == 1 else 0

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1


def global_weights(rows: Iterable[Any]) -> dict[int, float]:
    """Global weight of each objective: the product of normalised local weights along its path.

    `rows` need pk, parent_id, local_weight and status. Retired objectives weigh 0 and are left out of
    their siblings' normalisation, so the active objectives at each level share the parent's weight.
    Rows that hold, for every objective in them, all its siblings and its ancestors (with theirs) weigh
    exactly as in the whole tree: path_weights() reads only those.
    """
    rows = list(rows)
    children: dict[int | None, list[Any]] = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row)
    weights: dict[int, float] = {}

    def visit(parent_id: int | None, parent_weight: float) -> None:
        siblings = children.get(parent_id, [])
        active_total = sum(float(r.local_weight) for r in siblings if r.status == ObjectiveStatus.ACTIVE)
        for row in siblings:
            if row.status != ObjectiveStatus.ACTIVE or active_total <= 0:
                weights[row.pk] = 0.0
                share_weight = 0.0
            else:
                weights[row.pk] = parent_weight * float(row.local_weight) / active_total
                share_weight = weights[row.pk]
            visit(row.pk, share_weight)

    visit(None, 1.0)
    return weights


WEIGHT_FIELDS = ("pk", "parent_id", "local_weight", "status")


def path_weights(ids: Iterable[int]) -> dict[int, float]:
    """The global weights of some objectives in one query, without reading the whole tree: each weight needs
    only the objectives on its path and their siblings (the themes, and the children of its ancestors).

    Returns the weights of every objective read, the given ones among them (absent ones are missing)."""
    targets = Objective.objects.filter(pk__in=list(ids))
    on_paths = Q(parent__isnull=True)
    for depth in range(1, MAX_OBJECTIVE_DEPTH):
        on_paths |= Q(parent_id__in=targets.values("parent__" * (depth - 1) + "parent_id"))
    return global_weights(
        Objective.objects.filter(on_paths).order_by().values_list(*WEIGHT_FIELDS, named=True)
    )


def global_weight(objective: Objective) -> float:
    """An objective's global weight (path_weights), kept on the instance: its page and the sections other
    apps add to it ask for the same objective's weight, which then is read once and is the same everywhere."""
    cached: float | None = getattr(objective, "_global_weight", None)
    if cached is None:
        cached = path_weights([objective.pk]).get(objective.pk, 0.0)
        objective._global_weight = cached  # type: ignore[attr-defined]
    return cached


def latest_reading_annotations() -> dict[str, Subquery]:
    """A KPI's latest reading: its value and its date."""
    latest = Reading.objects.filter(kpi=OuterRef("pk")).order_by("-date")
    return {
        "latest_value": Subquery(latest.values("value")[:1]),
        "latest_date": Subquery(latest.values("date")[:1]),
    }


def count_of(rows: QuerySet[Any]) -> Coalesce:
    """COUNT(*) over a correlated subquery, as an annotation (0 when nothing matches); counting rows rather
    than a column lets an index that covers the filter answer alone."""
    counted = rows.order_by().annotate(n=Func(template="COUNT(*)", output_field=IntegerField())).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _level(root_id: int | None, level: int) -> Q:
    """The objectives `level` levels below the root (below the top of the tree when None: 1 are the themes)."""
    if root_id is not None:
        return Q(**{"parent__" * (level - 1) + "parent_id": root_id})
    below = Q(**{"parent__" * (level - 1) + "parent__isnull": True})
    return below & Q(**{"parent__" * (level - 2) + "parent__isnull": False}) if level > 1 else below


def objective_tree(
    root: Objective | None = None, *, limit: int | None = None, offset: int = 0
) -> ObjectiveTree:
    """The objective tree (or the branch under `root`) with global weights, KPIs (the first TREE_KPIS, with
    their latest reading) and initiative counts, in four queries whatever its size.

    At most `limit` objectives: all of them when they fit, else the top levels that fit (the nodes of the last
    level shown count the objectives below them); if the first level alone does not fit, `limit` of its
    objectives from `offset`."""
    limit = TREE_LIMIT if limit is None else limit
    root_id = root.pk if root is not None else None
    depth = root.depth if root is not None else 0
    available = MAX_OBJECTIVE_DEPTH - depth
    per_level = Objective.objects.aggregate(
        **{f"level{k}": Count("pk", filter=_level(root_id, k)) for k in range(1, available + 1)}
    )
    sizes = [per_level[f"level{k}"] or 0 for k in range(1, available + 1)]
    levels = 0
    while levels < available and sum(sizes[: levels + 1]) <= limit:
        levels += 1
    shown_q = _level(root_id, 1)
    for k in range(2, levels + 1):
        shown_q |= _level(root_id, k)
    # counted per node with an index each: the objectives one and two levels below it, the initiatives
    # contributing to it (one contribution per initiative and objective: counting rows counts initiatives)
    below = {
        f"below{k}": count_of(
            Objective.objects.filter(**{"parent__" * (k - 1) + "parent_id": OuterRef("pk")})
        )
        for k in range(1, MAX_OBJECTIVE_DEPTH)
    }
    rows = (
        Objective.objects.filter(shown_q)
        .select_related("owner")
        .annotate(
            initiative_count=count_of(
                Contribution.objects.filter(objective_id=OuterRef("pk")).exclude(strength=Strength.NONE)
            ),
            kpi_count=count_of(KPI.objects.filter(objective_id=OuterRef("pk"))),
            **below,
        )
        .order_by("code")
    )
    if levels == 0:  # the first level alone is too large: a page of it
        levels = 1
        offset = max(0, min(offset, max(sizes[0] - 1, 0) // limit * limit)) if sizes else 0
        objectives = list(rows[offset : offset + limit])
    else:
        offset = 0
        objectives = list(rows)
    ids = [o.pk for o in objectives]
    weights = path_weights([*ids, *([root_id] if root_id is not None else [])])
    first_kpis = (
        KPI.objects.filter(objective_id__in=ids)
        .annotate(rank=Window(RowNumber(), partition_by=F("objective_id"), order_by=F("name").asc()))
        .filter(rank__lte=TREE_KPIS)
    )
    kpis_by_objective: dict[int, list[KPI]] = defaultdict(list)
    for kpi in (
        KPI.objects.filter(pk__in=first_kpis.values("pk"))
        .only("objective_id", "name", "unit", "baseline_value", "target_value", "target_date")
        .annotate(**latest_reading_annotations())
        .order_by("name")
    ):
        kpis_by_objective[kpi.objective_id].append(kpi)
    by_parent: dict[int | None, list[Any]] = defaultdict(list)
    for objective in objectives:
        by_parent[objective.parent_id].append(objective)

    def build(parent_id: int | None, level: int, parent_weight: float) -> list[ObjectiveNode]:
        nodes = []
        for objective in by_parent.get(parent_id, []):
            weight = weights.get(objective.pk, 0.0)
            nodes.append(
                ObjectiveNode(
                    objective=objective,
                    depth=depth + level,
                    local_share=(weight / parent_weight) if parent_weight > 0 else 0.0,
                    global_weight=weight,
                    children=build(objective.pk, level + 1, weight) if level < levels else [],
                    kpis=kpis_by_objective.get(objective.pk, []),
                    initiative_count=objective.initiative_count,
                    kpi_count=objective.kpi_count,
                    child_count=objective.below1,
                    descendant_count=sum(getattr(objective, key) for key in below),
                )
            )
        return nodes

    return ObjectiveTree(
        nodes=build(root_id, 1, weights.get(root_id, 0.0) if root_id is not None else 1.0),
        root=root,
        total=sum(sizes),
        shown=len(objectives),
        levels=levels,
        top_level=sizes[0] if sizes else 0,
        offset=offset,
        limit=limit,
    )


def objective_path(objective: Objective) -> list[Objective]:
    """The objective's ancestors from the theme down, then itself (no query when the objective was read with
    select_related("parent__parent"))."""
    return [*reversed(objective.ancestors()), objective]


# ---------------------------------------------------------------------------------------------- history


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    action: str  # "created", "changed" or "deleted"
    subject: str
    changes: list[FieldChange]


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
LABEL_FIELDS = ("title", "name", "code", "label")
# (model, pk) -> the record, for showing related records by name
RelatedRecords = dict[tuple[type[models.Model], Any], Any]


def _person(user: Any) -> str:
    return "system" if user is None else person(user)


def _display(field: models.Field, value: Any, related: RelatedRecords, *, exact: bool = False) -> str:
    """A value of the audit trail as the pages show it (core.formatting); relations by the related record."""
    if field.is_relation and value is not None:
        target = related.get((cast(type[models.Model], field.related_model), value))
        return field_display(field, value, related=target)
    return field_display(field, value, exact=exact)


def _change(field: models.Field, old: Any, new: Any, related: RelatedRecords) -> FieldChange:
    shown = _display(field, old, related), _display(field, new, related)
    if shown[0] == shown[1]:  # a change below what the page shows (cents): show both in full
        shown = _display(field, old, related, exact=True), _display(field, new, related, exact=True)
    return FieldChange(str(field.verbose_name), *shown)


def history_entries(querysets: Sequence[QuerySet[Any]], *, limit: int | None = None) -> list[HistoryEntry]:
    """Who changed what and when, old -> new, across several records' audit trails, newest first.

    One query per historical table, plus one per related model whose names appear in the changes.
    """
    loaded: list[tuple[list[models.Field], list[Any]]] = []
    related_ids: dict[type[models.Model], set[Any]] = defaultdict(set)
    for queryset in querysets:
        model = queryset.model
        fields = [f for f in model.tracked_fields if f.name != "id"]
        records = list(queryset.select_related("history_user").order_by("id", "history_date", "history_id"))
        loaded.append((fields, records))
        for f in fields:
            if f.is_relation and f.related_model is not None:
                related_ids[f.related_model].update(
                    getattr(r, f.attname) for r in records if getattr(r, f.attname) is not None
                )
    related: RelatedRecords = {}
    for related_model, ids in related_ids.items():
        for pk, obj in related_model._default_manager.in_bulk(list(ids)).items():
            related[(related_model, pk)] = obj

    entries: list[HistoryEntry] = []
    for fields, records in loaded:
        previous: Any = None
        for record in records:
            if previous is not None and previous.id != record.id:
                previous = None
            changes: list[FieldChange] = []
            if record.history_type == "~" and previous is not None:
                for f in fields:
                    old, new = getattr(previous, f.attname), getattr(record, f.attname)
                    if old != new:
                        changes.append(_change(f, old, new, related))
                if not changes:
                    previous = record
                    continue
            entries.append(
                HistoryEntry(
                    when=record.history_date,
                    who=_person(record.history_user),
                    action=ACTIONS.get(record.history_type, record.history_type),
                    subject=_subject(record, fields, related),
                    changes=changes,
                )
            )
            previous = record
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit] if limit is not None else entries


def _subject(record: Any, fields: list[models.Field], related: RelatedRecords) -> str:
    kind = capfirst(str(record.instance_type._meta.verbose_name))
    for name in LABEL_FIELDS:
        value = getattr(record, name, None)
        if value:
            return f"{kind} “{value}”"
    by_name = {f.name: f for f in fields}
    if "objective" in by_name:  # a contribution reads best as the objective it serves
        return f"{kind} to “{_display(by_name['objective'], record.objective_id, related)}”"
    description = getattr(record, "description", "") or getattr(record, "text", "")  # a survey's question
    if description:
        return f"{kind} “{description if len(description) <= 60 else description[:57] + '…'}”"
    for name in ("held_on", "date"):
        value = getattr(record, name, None)
        if value:
            return f"{kind} of {value.isoformat()}"
    return f"{kind} #{record.id}"


def initiative_history(initiative: Initiative, *, limit: int | None = None) -> list[HistoryEntry]:
    """The audit trail of an initiative and of every record that belongs to it."""
    querysets: list[QuerySet[Any]] = [
        Initiative.history.filter(id=initiative.pk),
        Contribution.history.filter(initiative_id=initiative.pk),
        Milestone.history.filter(initiative_id=initiative.pk),
        ScopeChange.history.filter(initiative_id=initiative.pk),
        Artefact.history.filter(initiative_id=initiative.pk),
        # the business case shares its initiative's id; its lines name the case, its amounts a line
        # (history_entries tells records apart by id: the case's is its initiative's)
        BusinessCase.history.filter(initiative_id=initiative.pk).annotate(id=F("initiative_id")),
        BusinessCaseLine.history.filter(case_id=initiative.pk),
        BusinessCaseAmount.history.filter(
            line_id__in=BusinessCaseLine.history.filter(case_id=initiative.pk).values("id")
        ),
        # a benefit plan shares its line's id
        BenefitPlan.history.filter(
            line_id__in=BusinessCaseLine.history.filter(case_id=initiative.pk).values("id")
        ).annotate(id=F("line_id")),
        BenefitPeriod.history.filter(
            plan_id__in=BusinessCaseLine.history.filter(case_id=initiative.pk).values("id")
        ),
    ]
    for source in registry.history_sources:
        querysets.extend(source(initiative))
    return history_entries(querysets, limit=limit)


def milestone_list(
    *, state: str, stage: str, category: str, program: int | None, today: datetime.date
) -> QuerySet[Milestone]:
    """Milestones across the portfolio, latest baseline first, for the predictability tile's list."""
    rows = Milestone.objects.select_related("initiative", "initiative__program")
    if state in ("due", "late", "on_time"):
        rows = rows.filter(baseline_date__lte=today)
    if state == "late":
        rows = rows.exclude(actual_date__lte=F("baseline_date"))
    elif state == "on_time":
        rows = rows.filter(actual_date__lte=F("baseline_date"))
    elif state == "upcoming":
        rows = rows.filter(baseline_date__gt=today)
    if stage in STAGE_GROUPS:
        rows = rows.filter(initiative__stage__in=STAGE_GROUPS[stage][1])
    elif stage:
        rows = rows.filter(initiative__stage=stage)
    if category:
        rows = rows.filter(initiative__category=category)
    if program:
        rows = rows.filter(initiative__program_id=program)
    return rows.order_by("-baseline_date", "initiative__code", "name")
