from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "portal_accounts"
    verbose_name = "Accounts"
