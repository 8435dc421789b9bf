"""The score history becomes a change log: a row only when an initiative's recorded values change, valid
until the next (ScoreHistory.until), and the days recorded kept apart (HistoryDay).

Forwards, the days recorded are those that hold history rows; of each initiative's rows, one equal to the
row before it (same scores, tier, budget, policy version and fit points by objective) is dropped, and each
row kept is valid until the next one kept. Backwards, the copies are made again: each row for every day
recorded while it was in force. A dropped row comes back with the explanation of the row it repeated (the
old rows held a whole explanation, of which only the fit points are read).
"""

from django.db import migrations, models

BATCH = 2000
INITIATIVES = 200  # rewritten at a time
COMPARED = ("policy_version", "fit", "outcome", "delivery", "governance", "alignment", "tier", "budget")


def _points(terms):
    return tuple((t.get("objective"), t.get("points")) for t in terms or [] if isinstance(t, dict))


def _initiative_batches(ScoreHistory):
    ids = sorted(set(ScoreHistory.objects.values_list("initiative_id", flat=True).distinct()))
    for start in range(0, len(ids), INITIATIVES):
        yield ids[start : start + INITIATIVES]


def to_change_log(apps, schema_editor):
    ScoreHistory = apps.get_model("alignment", "ScoreHistory")
    HistoryDay = apps.get_model("alignment", "HistoryDay")
    days = sorted(set(ScoreHistory.objects.values_list("date", flat=True).distinct()))
    HistoryDay.objects.bulk_create([HistoryDay(date=day) for day in days], batch_size=BATCH)
    for initiatives in _initiative_batches(ScoreHistory):
        rows = (
            ScoreHistory.objects.filter(initiative_id__in=initiatives)
            .order_by("initiative_id", "date")
            .values_list("pk", "initiative_id", "date", *COMPARED, "explanation__fit__terms")
        )
        dropped = []
        kept = []  # (pk, initiative, date)
        previous = None
        for pk, initiative, date, *values, terms in rows:
            key = (initiative, *values, _points(terms))
            if key == previous:
                dropped.append(pk)
                continue
            previous = key
            kept.append((pk, initiative, date))
        for start in range(0, len(dropped), BATCH):
            ScoreHistory.objects.filter(pk__in=dropped[start : start + BATCH]).delete()
        replaced = [
            ScoreHistory(pk=pk, until=after[2])
            for (pk, initiative, _), after in zip(kept, kept[1:])
            if after[1] == initiative
        ]
        ScoreHistory.objects.bulk_update(replaced, ["until"], batch_size=BATCH)


def to_daily_copies(apps, schema_editor):
    ScoreHistory = apps.get_model("alignment", "ScoreHistory")
    HistoryDay = apps.get_model("alignment", "HistoryDay")
    days = list(HistoryDay.objects.order_by("date").values_list("date", flat=True))
    fields = [
        f.attname for f in ScoreHistory._meta.concrete_fields if f.attname not in ("id", "date", "until")
    ]
    for initiatives in _initiative_batches(ScoreHistory):
        copies = []
        for row in ScoreHistory.objects.filter(initiative_id__in=initiatives).order_by(
            "initiative_id", "date"
        ):
            values = {name: getattr(row, name) for name in fields}
            copies += [
                ScoreHistory(date=day, **values)
                for day in days
                if row.date < day and (row.until is None or day < row.until)
            ]
        ScoreHistory.objects.bulk_create(copies, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0018_explanation_on_demand"),
        ("portfolio", "0006_move_steering_out"),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoryDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField(unique=True)),
            ],
            options={
                "ordering": ["date"],
            },
        ),
        migrations.RemoveIndex(
            model_name="scorehistory",
            name="score_history_day_sums",
        ),
        migrations.AddField(
            model_name="scorehistory",
            name="until",
            field=models.DateField(
                blank=True,
                help_text="The day a later row replaced this one; empty while it is in force.",
                null=True,
            ),
        ),
        migrations.RunPython(to_change_log, to_daily_copies, elidable=False),
        migrations.AlterField(
            model_name="scorehistory",
            name="date",
            field=models.DateField(help_text="The day these values were first recorded."),
        ),
        migrations.AlterField(
            model_name="scorehistory",
            name="explanation",
            field=models.JSONField(
                default=dict, help_text="Each objective's fit points, as {fit: {terms: [{objective, points}]}} (rows recorded as daily copies hold a whole explanation)."
            ),
        ),
        migrations.AddIndex(
            model_name="scorehistory",
            index=models.Index(
                fields=["initiative", "date"],
                include=("until", "budget", "alignment"),
                name="score_history_in_force",
            ),
        ),
        migrations.AddIndex(
            model_name="scorehistory",
            index=models.Index(
                condition=models.Q(("until__isnull", True)), fields=["initiative"], name="score_history_now"
            ),
        ),
    ]
