from django.db import migrations

from shuangsuiji.catalog.reference import ensure_result_code_sets


def load(apps, schema_editor):
    ensure_result_code_sets(apps.get_model("catalog", "ResultCodeSet"), apps.get_model("catalog", "ResultCode"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
