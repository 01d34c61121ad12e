from django.apps import AppConfig


class DrawsConfig(AppConfig):
    name = "shuangsuiji.draws"
    verbose_name = "随机抽取"

    def ready(self) -> None:
        from shuangsuiji.draws import jobs  # noqa: F401  (registers the background job kinds)
