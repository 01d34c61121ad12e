from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "shuangsuiji.directory"
    verbose_name = "两库"
