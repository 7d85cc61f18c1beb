from django.apps import AppConfig


class AtsdAlertsConfig(AppConfig):
    name = "atsd_alerts"
    verbose_name = "Accounts and site"
