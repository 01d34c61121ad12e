"""A drawn entity's row without an index by entity: only unique (draw, rank) beside the primary key.

Every query of the selections is by draw. The rows of a draw are stored in rank order, so an entity index is
filled at random: at 10^7 entities (~600,000 rows) it took 2 s of the COPY's 4 s of server time
(benchmarks/bench_draw.py). An entity is once in a draw by construction (the population holds each entity
once; a received list is checked in `services.task_receive`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("draws", "0006_selection_entity_draw_index"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="drawselection",
            name="unique_selection_entity_draw",
        ),
    ]
