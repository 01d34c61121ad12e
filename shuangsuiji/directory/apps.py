from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "shuangsuiji.directory"
    verbose_name = "两库"

    def ready(self) -> None:
        from shuangsuiji.directory import import_services  # noqa: F401  (registers the import jobs)
