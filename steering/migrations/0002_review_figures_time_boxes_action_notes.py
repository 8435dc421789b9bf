"""One word per concept: a review's frozen figures are its "figures" (the column keeps its data). Meetings get
a length and agenda items a time box, a place for noting and who added them by hand; an action done or
cancelled keeps a note."""

from __future__ import annotations

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def time_box_existing_items(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Items already on an agenda get the time box of an item added by hand."""
    apps.get_model("steering", "AgendaItem").objects.update(minutes=10)


class Migration(migrations.Migration):
    dependencies = [
        ("steering", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="checkpointreview", old_name="snapshot", new_name="figures"),
        migrations.AddField(
            model_name="steeringmeeting",
            name="duration_minutes",
            field=models.PositiveSmallIntegerField(
                default=120,
                help_text="How long the meeting runs: the agenda proposes reviews up to this length, the rest for noting.",
                validators=[
                    django.core.validators.MinValueValidator(15),
                    django.core.validators.MaxValueValidator(600),
                ],
                verbose_name="length (minutes)",
            ),
        ),
        migrations.AddField(
            model_name="historicalsteeringmeeting",
            name="duration_minutes",
            field=models.PositiveSmallIntegerField(
                default=120,
                help_text="How long the meeting runs: the agenda proposes reviews up to this length, the rest for noting.",
                validators=[
                    django.core.validators.MinValueValidator(15),
                    django.core.validators.MaxValueValidator(600),
                ],
                verbose_name="length (minutes)",
            ),
        ),
        migrations.AddField(
            model_name="actionitem",
            name="note",
            field=models.TextField(
                blank=True,
                help_text="Why it was marked done or cancelled (required for either; kept in its history).",
                max_length=2000,
            ),
        ),
        migrations.AddField(
            model_name="agendaitem",
            name="added_by",
            field=models.ForeignKey(
                blank=True,
                help_text="Who put it on the agenda by hand (empty when the data proposed it).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="agendaitem",
            name="for_noting",
            field=models.BooleanField(
                default=False,
                help_text="Listed for noting: in the pack and on the agenda, not reviewed one by one.",
            ),
        ),
        migrations.AddField(
            model_name="agendaitem",
            name="minutes",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="The time the chair gives the item; none for an item listed for noting.",
                validators=[django.core.validators.MaxValueValidator(240)],
                verbose_name="time box (minutes)",
            ),
        ),
        migrations.AddField(
            model_name="historicalactionitem",
            name="note",
            field=models.TextField(
                blank=True,
                help_text="Why it was marked done or cancelled (required for either; kept in its history).",
                max_length=2000,
            ),
        ),
        migrations.AddField(
            model_name="historicalagendaitem",
            name="added_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="Who put it on the agenda by hand (empty when the data proposed it).",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalagendaitem",
            name="for_noting",
            field=models.BooleanField(
                default=False,
                help_text="Listed for noting: in the pack and on the agenda, not reviewed one by one.",
            ),
        ),
        migrations.AddField(
            model_name="historicalagendaitem",
            name="minutes",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="The time the chair gives the item; none for an item listed for noting.",
                validators=[django.core.validators.MaxValueValidator(240)],
                verbose_name="time box (minutes)",
            ),
        ),
        migrations.AlterField(
            model_name="agendaitem",
            name="reasons",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Why the data put it there (e.g. checkpoint due): refreshed until it is reviewed, then kept.",
            ),
        ),
        migrations.AlterField(
            model_name="historicalagendaitem",
            name="reasons",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Why the data put it there (e.g. checkpoint due): refreshed until it is reviewed, then kept.",
            ),
        ),
        migrations.RunPython(time_box_existing_items, migrations.RunPython.noop),
    ]
