from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Web notifications"

    def ready(self) -> None:
        # Rule saves feed the Web Notifications tab (rules.xml import, the rule editor);
        # connected here with a lazy sender so that rules never imports notifications.
        from notifications.bindings.sync import connect_signals

        connect_signals()
