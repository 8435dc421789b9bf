from __future__ import annotations

from decimal import Decimal

from django.db import migrations


def publish_default(apps, schema_editor):
    CapacityPolicy = apps.get_model("capacity", "CapacityPolicy")
    if not CapacityPolicy.objects.exists():
        CapacityPolicy.objects.create(
            version=1,
            change_share_target=Decimal("40"),
            overload_threshold=Decimal("100"),
            max_shift_months=0,
            note="Bearing's default policy (see docs/capacity.md).",
        )


class Migration(migrations.Migration):
    dependencies = [("capacity", "0001_initial")]

    operations = [migrations.RunPython(publish_default, migrations.RunPython.noop)]
