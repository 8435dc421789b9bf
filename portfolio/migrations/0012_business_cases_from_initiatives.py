"""The default financial policy, and a business case for every initiative that had money figures.

An initiative's approved budget stays on it (the alignment engine reads it) and seeds the case's cost lines:
the capex in the planned-start year, the opex spread evenly over the calendar years from the planned start
to the planned end (the last year takes the cents left over). Its expected annual benefit becomes a
cost-saving line, every year from the year after it goes live (its go-live date, else its planned end) to the
last year of the default policy's horizon. docs/business-case.md says why; migration 0013 then removes the
old field. The figures are computed as the service computes them, under the default policy.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.db import migrations
from django.utils import timezone

from portfolio import finance

DEFAULT_RATE = Decimal("8")  # per cent
DEFAULT_HORIZON = 5
BENEFIT_LABEL = "Expected annual benefit (entered before business cases)"
REASON = "Seeded from the initiative's budget and expected annual benefit"
BATCH = 1000


def _first_year(row: dict) -> int:
    for field in ("planned_start", "actual_start", "go_live_date", "planned_end"):
        if row[field]:
            return row[field].year
    return row["created_at"].year


def _opex_by_year(total: Decimal, first: int, last: int) -> dict[int, Decimal]:
    years = list(range(first, max(first, last) + 1))
    share = (total / len(years)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    amounts = dict.fromkeys(years, share)
    amounts[years[-1]] = total - share * (len(years) - 1)
    return amounts


def seed_lines(row: dict, horizon: int) -> tuple[int, list[tuple[str, str, dict[int, Decimal]]]]:
    """The case's first year and its lines (kind, label, amounts by calendar year) from an initiative's row."""
    first = _first_year(row)
    lines: list[tuple[str, str, dict[int, Decimal]]] = []
    if row["budget_capex"] > 0:
        lines.append(("capex", "Budget (capex)", {first: row["budget_capex"]}))
    if row["budget_opex"] > 0:
        last = row["planned_end"].year if row["planned_end"] else first
        lines.append(("opex", "Budget (opex)", _opex_by_year(row["budget_opex"], first, last)))
    if row["expected_annual_benefit"] > 0:
        live = row["go_live_date"] or row["planned_end"]
        start = live.year + 1 if live else first + 1
        end = max(start, first + horizon - 1)  # a benefit starting after the horizon keeps one (ignored) year
        lines.append(
            (
                "cost_saving",
                BENEFIT_LABEL,
                dict.fromkeys(range(start, end + 1), row["expected_annual_benefit"]),
            )
        )
    return first, lines


def forward(apps, schema_editor):
    FinancialPolicy = apps.get_model("portfolio", "FinancialPolicy")
    Initiative = apps.get_model("portfolio", "Initiative")
    BusinessCase = apps.get_model("portfolio", "BusinessCase")
    Line = apps.get_model("portfolio", "BusinessCaseLine")
    Amount = apps.get_model("portfolio", "BusinessCaseAmount")
    HistoricalCase = apps.get_model("portfolio", "HistoricalBusinessCase")
    HistoricalLine = apps.get_model("portfolio", "HistoricalBusinessCaseLine")
    HistoricalAmount = apps.get_model("portfolio", "HistoricalBusinessCaseAmount")
    stored, _ = FinancialPolicy.objects.get_or_create(
        version=1,
        defaults={
            "discount_rate": DEFAULT_RATE,
            "horizon_years": DEFAULT_HORIZON,
            "note": "Bearing's default policy (see docs/business-case.md).",
        },
    )
    policy = finance.FinancialPolicy(
        version=stored.version, discount_rate=stored.discount_rate / 100, horizon_years=stored.horizon_years
    )
    now = timezone.now()
    fields = ["id", "created_at", "planned_start", "planned_end", "actual_start", "go_live_date"]
    money = ["budget_capex", "budget_opex", "expected_annual_benefit"]
    rows = (
        Initiative.objects.exclude(budget_capex=0, budget_opex=0, expected_annual_benefit=0)
        .order_by("id")
        .values(*fields, *money)
    )
    last_id = 0
    while True:
        batch = list(rows.filter(id__gt=last_id)[:BATCH])
        if not batch:
            break
        last_id = batch[-1]["id"]
        cases, lines, amounts_of_line = [], [], []
        for row in batch:
            first, seeded = seed_lines(row, policy.horizon_years)
            result = finance.evaluate_business_case(
                [
                    finance.CaseLine(
                        finance.LineKind(kind), label, {y - first: a for y, a in amounts.items()}
                    )
                    for kind, label, amounts in seeded
                ],
                policy,
            )
            cases.append(
                BusinessCase(
                    initiative_id=row["id"],
                    first_year=first,
                    policy_version=policy.version,
                    npv=result.npv,
                    irr=result.irr,
                    irr_note=result.irr_note[:300],
                    payback_years=result.payback_years,
                    discounted_payback_years=result.discounted_payback_years,
                    roi=result.roi,
                    total_cost=result.total_costs,
                    total_benefit=result.total_benefits,
                )
            )
            for position, (kind, label, amounts) in enumerate(seeded):
                lines.append(Line(case_id=row["id"], position=position, kind=kind, label=label))
                amounts_of_line.append(amounts)
        BusinessCase.objects.bulk_create(cases)
        Line.objects.bulk_create(lines)
        saved_lines = {
            (line.case_id, line.position): line.pk
            for line in Line.objects.filter(case_id__in=[c.pk for c in cases])
        }
        amounts = [
            Amount(line_id=saved_lines[(line.case_id, line.position)], year=year, amount=amount)
            for line, by_year in zip(lines, amounts_of_line, strict=True)
            for year, amount in by_year.items()
        ]
        Amount.objects.bulk_create(amounts)
        history = {"history_date": now, "history_type": "+", "history_change_reason": REASON}
        HistoricalCase.objects.bulk_create(
            [
                HistoricalCase(initiative_id=case.initiative_id, first_year=case.first_year, **history)
                for case in cases
            ]
        )
        HistoricalLine.objects.bulk_create(
            [
                HistoricalLine(
                    id=saved_lines[(line.case_id, line.position)],
                    case_id=line.case_id,
                    position=line.position,
                    kind=line.kind,
                    label=line.label,
                    **history,
                )
                for line in lines
            ]
        )
        saved_amounts = Amount.objects.filter(line_id__in=saved_lines.values()).values(
            "id", "line_id", "year", "amount"
        )
        HistoricalAmount.objects.bulk_create(
            [HistoricalAmount(**amount, **history) for amount in saved_amounts]
        )


def backward(apps, schema_editor):
    """Give the seeded benefit back to the initiatives (migration 0013 backwards has re-added the field)."""
    Initiative = apps.get_model("portfolio", "Initiative")
    Amount = apps.get_model("portfolio", "BusinessCaseAmount")
    benefits = Amount.objects.filter(line__kind="cost_saving", line__label=BENEFIT_LABEL).order_by(
        "line_id", "year"
    )
    seen = set()
    for line_id, case_id, amount in benefits.values_list("line_id", "line__case_id", "amount"):
        if line_id not in seen:
            seen.add(line_id)
            Initiative.objects.filter(pk=case_id).update(expected_annual_benefit=amount)
    apps.get_model("portfolio", "BusinessCase").objects.all().delete()
    apps.get_model("portfolio", "HistoricalBusinessCase").objects.all().delete()
    apps.get_model("portfolio", "HistoricalBusinessCaseLine").objects.all().delete()
    apps.get_model("portfolio", "HistoricalBusinessCaseAmount").objects.all().delete()
    apps.get_model("portfolio", "FinancialPolicy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0011_business_cases")]

    operations = [migrations.RunPython(forward, backward)]
