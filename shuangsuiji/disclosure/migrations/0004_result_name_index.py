"""SQLite: the FTS5 index of published results' entity names by character bigram, filled from the results
there are and kept by triggers (`shuangsuiji.disclosure.names`). No-op on PostgreSQL (migration 0003's GIN
index serves it there) and on a SQLite built without FTS5 (the search then scans, as before)."""

import sqlite3

import django.db.models.deletion
from django.db import migrations, models

import shuangsuiji.disclosure.models
from shuangsuiji.disclosure import names


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    names.register(connection.connection)
    try:
        schema_editor.execute(names.CREATE[0], params=None)
    except sqlite3.OperationalError:  # "no such module: fts5"
        return
    for sql in names.CREATE[1:]:
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in names.DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0003_entity_name_bigrams")]

    operations = [
        migrations.CreateModel(
            name="ResultName",
            fields=[
                (
                    "result",
                    models.OneToOneField(
                        db_column="rowid",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="disclosure.publishedresult",
                    ),
                ),
                ("tokens", shuangsuiji.disclosure.models.NameTokensField()),
            ],
            options={"db_table": "disclosure_resultname", "managed": False},
        ),
        migrations.RunPython(forward, backward),
    ]
