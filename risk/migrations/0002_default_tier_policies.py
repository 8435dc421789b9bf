from __future__ import annotations

from django.db import migrations

DEFAULT_POLICIES = [
    (
        1,
        "Rigorous",
        "High impact and high risk: monthly steering checkpoints and the full set of governance artefacts.",
        30,
        ["business_case", "benefits_plan", "architecture_review", "security_review", "cutover_plan"],
    ),
    (
        2,
        "Standard",
        "Either impact or risk is significant: a checkpoint every two months, business case and benefits plan.",
        60,
        ["business_case", "benefits_plan"],
    ),
    (
        3,
        "Light",
        "Low impact and low risk: a quarterly checkpoint and a business case; delivered with agile governance.",
        90,
        ["business_case"],
    ),
]


def create_policies(apps, schema_editor):
    TierPolicy = apps.get_model("risk", "TierPolicy")
    for tier, name, description, cadence, artefacts in DEFAULT_POLICIES:
        TierPolicy.objects.get_or_create(
            tier=tier,
            defaults={
                "name": name,
                "description": description,
                "checkpoint_cadence_days": cadence,
                "required_artefacts": artefacts,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
