from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shuangsuiji.core"
    verbose_name = "站点"
