from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "shuangsuiji.disclosure"
    verbose_name = "信息公开"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from shuangsuiji.disclosure import names

        connection_created.connect(names.on_connection_created, dispatch_uid="ssj-name-tokens")
