"""PostgreSQL: the draw's big texts (result.json, exclusions.tsv: at 10^7 entities ~90 MB and ~30 MB) compressed
with lz4 instead of pglz: the same size, a quarter of the time to store (85 MB: 2.5 s → 0.6 s on our machines;
benchmarks/bench_draw.py). Applies to values written from now on. A server built without lz4 keeps pglz."""

from django.db import DatabaseError, migrations, transaction

COLUMNS = ("commitment_json", "exclusions_tsv", "pool_tsv", "conflicts_tsv", "result_json")


def _compression(schema_editor, method):
    if schema_editor.connection.vendor != "postgresql":
        return
    alter = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in COLUMNS)
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(f"ALTER TABLE draws_draw {alter}", params=None)
    except DatabaseError:  # compiled without lz4: pglz it stays
        pass


def forward(apps, schema_editor):
    _compression(schema_editor, "lz4")


def backward(apps, schema_editor):
    _compression(schema_editor, "pglz")


class Migration(migrations.Migration):
    dependencies = [("draws", "0004_selection_without_database_foreign_keys")]
    operations = [migrations.RunPython(forward, backward)]
