"""PostgreSQL: a covering index on the population's sort order for industry strata, so that a commit streams
the population of a task stratified by industry in order by an index-only scan instead of an external sort
of every eligible entity (benchmarks/bench_draw.py, P7: the population query at 10^6 entities 2.1 s → 1.1 s).

The two key columns are exactly the ORDER BY of `eligibility.Freeze._ordered` for `stratification="industry"`
(`planning.strata.label_expression("industry")`, then the entity key, both bytewise); INCLUDE carries every
column the eligibility filters read, so that no heap access is needed whatever the task's scope. The other
schemes (credit, fire, credit × fire, none) keep the sort. No-op on SQLite.
"""

from django.db import migrations

INDEX = "draws_population_industry"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON directory_entity ("
            "(COALESCE(NULLIF(industry::text, ''::text), '未分类行业'::text) COLLATE \"C\"), "
            '(COALESCE(uscc, reg_no) COLLATE "C")) '
            "INCLUDE (id, status, jurisdiction_id, industry, uscc, reg_no, entity_type, credit_risk_class, "
            "fire_safety_category)",
            params=None,
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)


class Migration(migrations.Migration):
    dependencies = [("draws", "0002_initial"), ("directory", "0003_entity_name_trigram")]
    operations = [migrations.RunPython(forward, backward)]
