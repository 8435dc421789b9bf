"""Forget the dashboards stored before the charts named objectives and initiatives on their axes, drew the index
on its whole scale and led a bar of investment against priority to the spend behind it.

Dashboards are computed data: until the next recompute draws and stores them again, the page computes them on
request.
"""

from django.db import migrations


def forget_stored_dashboards(apps, schema_editor):
    apps.get_model("alignment", "DashboardSnapshot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0015_signal_severity_order"),
    ]

    operations = [
        migrations.RunPython(forget_stored_dashboards, migrations.RunPython.noop),
    ]
