from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shuangsuiji.accounts"
    verbose_name = "账号与部门"
