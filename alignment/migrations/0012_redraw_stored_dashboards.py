"""Forget the dashboards stored before chart labels were escaped for Plotly.

Their figures hold user text as Plotly markup (a title of `<a href=...>` was drawn as a link). Dashboards are
computed data: until the next recompute draws and stores them again, the page computes them on request.
"""

from django.db import migrations


def forget_stored_dashboards(apps, schema_editor):
    apps.get_model("alignment", "DashboardSnapshot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0011_score_history_day_sums"),
    ]

    operations = [
        migrations.RunPython(forget_stored_dashboards, migrations.RunPython.noop),
    ]
