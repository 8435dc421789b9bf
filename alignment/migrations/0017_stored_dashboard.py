from django.db import migrations


class Migration(migrations.Migration):
    """One word per concept: a stored dashboard is not a snapshot (that word went with the reviews' figures)."""

    dependencies = [
        ("alignment", "0016_redraw_stored_dashboards_named_axes"),
    ]

    operations = [
        migrations.RenameModel("DashboardSnapshot", "StoredDashboard"),
    ]
