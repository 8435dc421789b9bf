"""Indexes that only PostgreSQL can have; elsewhere (SQLite) nothing is done.

- Trigram indexes for the register's search box: a search for "platform" matches inside codes, titles,
  descriptions and program names (icontains: UPPER(column) LIKE UPPER('%platform%')), which a b-tree cannot
  serve; pg_trgm's GIN indexes on the same UPPER() expressions can. pg_trgm is a trusted extension
  (PostgreSQL 13 and later): the owner of the database may create it.
- Orderings with NULLS FIRST/LAST, which SQLite refuses in an index: the register sorted by budget, largest
  first (the expression and null order of portfolio.selectors' sort), and the worklist's initiatives due a
  sustainment owner, in its order (no go-live date first).
"""

from django.db import migrations

INDEXES = {
    "initiative_code_trgm": 'ON "portfolio_initiative" USING gin ((UPPER("code"::text)) gin_trgm_ops)',
    "initiative_title_trgm": 'ON "portfolio_initiative" USING gin ((UPPER("title"::text)) gin_trgm_ops)',
    "initiative_description_trgm": 'ON "portfolio_initiative" USING gin ((UPPER("description"::text)) gin_trgm_ops)',
    "program_name_trgm": 'ON "portfolio_program" USING gin ((UPPER("name"::text)) gin_trgm_ops)',
    "initiative_budget": 'ON "portfolio_initiative" (("budget_capex" + "budget_opex") DESC NULLS LAST, "code")',
    "initiative_sustainment_due": (
        'ON "portfolio_initiative" ("go_live_date" ASC NULLS FIRST, "code") WHERE "sustainment_owner_id" IS NULL'
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" {definition}')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0008_list_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
