from __future__ import annotations

from django.db import migrations


def create_default_policy(apps, schema_editor):
    ScoringPolicy = apps.get_model("alignment", "ScoringPolicy")
    ScoringPolicy.objects.get_or_create(
        version=1, defaults={"parameters": {}, "note": "Bearing's default policy (see docs/scoring.md)."}
    )


class Migration(migrations.Migration):
    dependencies = [("alignment", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
