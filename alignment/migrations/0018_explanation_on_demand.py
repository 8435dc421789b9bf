"""A score row no longer carries its explanation (about 1.5 KB, rewritten every day because it held the day
computed): the "why" view builds the explanation of the initiative it shows, with the engine's own code.

The facts other pages read from the stored explanation move into columns of their own, from each row's
explanation: why each missing component is missing (into `missing`, which held only the names), each
contribution's fit points (the score history records them), and delivery's slip and overrun (the steering
suggestions read them). Everything else the explanation held is derived from the entered data and is built
again on demand. Backwards, the explanation is put back from those columns, and each row's fingerprint is
cleared so that the next recompute rewrites it whole.
"""

from django.db import migrations, models

BATCH = 2000


def _facts(explanation):
    explanation = explanation or {}
    delivery = explanation.get("delivery") or {}
    terms = (explanation.get("fit") or {}).get("terms") or []
    return {
        "missing": dict(explanation.get("missing") or {}),
        "fit_points": [[t["objective"], t["points"]] for t in terms if "objective" in t and "points" in t],
        "slip_days": delivery.get("slip_days"),
        "slip_ratio": delivery.get("slip_ratio"),
        "overrun": delivery.get("overrun"),
    }


def _batches(model, fields):
    """The rows in batches (read a batch, then write it: never while a read of the table is open)."""
    pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        yield list(model.objects.filter(pk__in=pks[start : start + BATCH]).only("pk", *fields))


def move_facts_out(apps, schema_editor):
    InitiativeScore = apps.get_model("alignment", "InitiativeScore")
    for batch in _batches(InitiativeScore, ["explanation"]):
        for row in batch:
            for name, value in _facts(row.explanation).items():
                setattr(row, name, value)
        InitiativeScore.objects.bulk_update(batch, list(_facts({})), batch_size=BATCH)


def put_facts_back(apps, schema_editor):
    InitiativeScore = apps.get_model("alignment", "InitiativeScore")
    fields = ["missing", "fit_points", "slip_days", "slip_ratio", "overrun", "computed_at"]
    for batch in _batches(InitiativeScore, fields):
        for row in batch:
            _put_back(row)
        InitiativeScore.objects.bulk_update(batch, ["explanation", "missing", "digest"], batch_size=BATCH)


def _put_back(row):
    """The row's explanation as far as its columns hold it; the next recompute rewrites it whole."""
    missing = row.missing if isinstance(row.missing, dict) else {}
    explanation = {}
    if row.computed_at is not None:
        delivery = {"slip_days": row.slip_days, "slip_ratio": row.slip_ratio, "overrun": row.overrun}
        explanation = {
            "fit": {"terms": [{"objective": o, "points": p} for o, p in row.fit_points or []]},
            "delivery": delivery if row.slip_days is not None else {},
            "missing": missing,
        }
    row.explanation = explanation
    row.missing = list(missing)
    row.digest = ""


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0017_stored_dashboard"),
    ]

    operations = [
        migrations.AddField(
            model_name="initiativescore",
            name="fit_points",
            field=models.JSONField(
                default=list,
                help_text="Each contribution's share of the strategic fit: [[objective id, points], ...].",
            ),
        ),
        migrations.AddField(
            model_name="initiativescore",
            name="slip_days",
            field=models.IntegerField(help_text="Delivery: the worst lateness against plan.", null=True),
        ),
        migrations.AddField(
            model_name="initiativescore",
            name="slip_ratio",
            field=models.FloatField(help_text="Delivery: the slip over the planned duration.", null=True),
        ),
        migrations.AddField(
            model_name="initiativescore",
            name="overrun",
            field=models.FloatField(
                help_text="Delivery: forecast cost over budget, as a share of it.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="initiativescore",
            name="missing",
            field=models.JSONField(
                default=dict,
                help_text="Each component that could not be computed, with the reason: {name: reason}.",
            ),
        ),
        migrations.RunPython(move_facts_out, put_facts_back, elidable=False),
        migrations.RemoveField(model_name="initiativescore", name="explanation"),
    ]
