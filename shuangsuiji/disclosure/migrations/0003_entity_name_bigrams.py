"""PostgreSQL: a GIN index of each published result's entity-name character bigrams, so a name search of
two characters or more (Chinese names are mostly searched by a two-character 字号, which pg_trgm cannot
index) reads the matching rows instead of scanning 10^6 results (benchmarks/bench_portal.py). The selector
adds `ssj_bigrams(entity_name) @> bigrams(q)` next to the LIKE, which stays as the check. No-op on SQLite."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION ssj_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}') FROM generate_series(1, length(t) - 1) AS i $$
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS disclosure_publishedresult_name_bigrams "
            "ON disclosure_publishedresult USING gin (ssj_bigrams(entity_name))",
            params=None,
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS disclosure_publishedresult_name_bigrams", params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS ssj_bigrams(text)", params=None)


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0002_keyset_indexes")]
    operations = [migrations.RunPython(forward, backward)]
