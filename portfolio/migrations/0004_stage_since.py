from __future__ import annotations

from django.db import migrations


def fill_stage_since(apps, schema_editor):
    """When each initiative entered its current stage, read from its audit trail (one pass over it)."""
    Initiative = apps.get_model("portfolio", "Initiative")
    History = apps.get_model("portfolio", "HistoricalInitiative")
    entered: dict[int, object] = {}
    previous: dict[int, str] = {}
    for pk, stage, when in History.objects.order_by("id", "history_date", "history_id").values_list(
        "id", "stage", "history_date"
    ):
        if previous.get(pk) != stage:
            entered[pk] = when.date()
        previous[pk] = stage
    changed = []
    for initiative in Initiative.objects.filter(stage_since__isnull=True).only("pk", "stage", "created_at"):
        initiative.stage_since = entered.get(initiative.pk) or initiative.created_at.date()
        changed.append(initiative)
    Initiative.objects.bulk_update(changed, ["stage_since"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0003_steering")]

    operations = [migrations.RunPython(fill_stage_since, migrations.RunPython.noop)]
