from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "shuangsuiji.oversight"
    verbose_name = "监督与统计"

    def ready(self) -> None:
        from shuangsuiji.oversight import jobs  # noqa: F401  (registers the background job kind)
