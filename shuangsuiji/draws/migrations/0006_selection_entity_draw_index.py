"""A drawn entity's row: one unique index (entity, draw) instead of a unique (draw, entity) and an entity index.

The one serves both what the two did (lookups by entity; an entity once per draw). Storing a big draw's rows
maintains one index fewer: at 10^7 entities (~600,000 rows) the COPY's server time 8.5 → 7.5 s on a slow
machine (benchmarks/bench_draw.py)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_fewer_entity_indexes"),
        ("draws", "0005_big_texts_lz4"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="drawselection",
            constraint=models.UniqueConstraint(fields=("entity", "draw"), name="unique_selection_entity_draw"),
        ),
        migrations.RemoveConstraint(
            model_name="drawselection",
            name="unique_selection_entity",
        ),
        migrations.AlterField(
            model_name="drawselection",
            name="entity",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="selections",
                to="directory.entity",
            ),
        ),
    ]
