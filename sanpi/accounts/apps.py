from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sanpi.accounts"
    label = "accounts"
    verbose_name = "账号"
