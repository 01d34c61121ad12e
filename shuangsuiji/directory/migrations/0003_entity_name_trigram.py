"""PostgreSQL: a trigram index so name searches (LIKE '%…%', three characters or more) use an index
instead of scanning a million rows (benchmarks/bench_entity_list.py: 770 ms → 10 ms). No-op on SQLite."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS directory_entity_name_trgm ON directory_entity USING gin (name gin_trgm_ops)",
            params=None,
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS directory_entity_name_trgm", params=None)


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_importbatch")]
    operations = [migrations.RunPython(forward, backward)]
