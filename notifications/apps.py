from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Web notifications"

    def ready(self) -> None:
        # Rule saves feed the Web Notifications tab (rules.xml import, the rule editor);
        # connected here with a lazy sender so that rules never imports notifications.
        from notifications.bindings.sync import connect_signals
        from notifications.channels.registry import KINDS
        from rules.rulesxml.secrets import declare_secret_parameters

        connect_signals()
        # rules.xml exports leave these parameters empty unless secrets are asked for.
        declare_secret_parameters(k for kind in KINDS.values() for k in kind.secret_parameters)
