"""PostgreSQL: ANALYZE samples 10× more entity names (statistics target 1000), so that the planner's estimate
of `entity_name LIKE '%…%'` is good enough for the search to choose between the bigram index and reading the
results newest first (`search._walk_newest_first`): with the default sample it put 乐有限公 (10,907 of
10^6 names) at 99 and counted its matches with a sequential scan. No-op on SQLite."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE disclosure_publishedresult ALTER COLUMN entity_name SET STATISTICS 1000", params=None
        )
        schema_editor.execute("ANALYZE disclosure_publishedresult", params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE disclosure_publishedresult ALTER COLUMN entity_name SET STATISTICS -1", params=None
        )


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0004_result_name_index")]
    operations = [migrations.RunPython(forward, backward)]
