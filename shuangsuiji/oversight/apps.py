from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "shuangsuiji.oversight"
    verbose_name = "监督与统计"
