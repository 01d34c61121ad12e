from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "shuangsuiji.audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from shuangsuiji.audit import signals  # noqa: F401  (login events)
