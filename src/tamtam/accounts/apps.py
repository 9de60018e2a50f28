from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tamtam.accounts"
    label = "accounts"
    verbose_name = "Accounts"
