from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Web notifications"

    def ready(self) -> None:
        # Rule saves feed the Web Notifications tab (rules.xml import, the rule editor);
        # connected here with a lazy sender so that rules never imports notifications.
        from notifications.bindings.sync import connect_signals
        from notifications.channels.registry import KINDS
        from notifications.delivery.preview import preview_triggers
        from notifications.dispatch import dispatch_triggers
        from rules.contract.bindings import declare_secret_parameters
        from rules.contract.consumers import register_trigger_consumer
        from rules.contract.previews import register_message_previewer

        connect_signals()
        # The alert store publishes the event ids of the triggers it stored.
        register_trigger_consumer(dispatch_triggers)
        # A backtest's triggers: the messages their bindings would send, rendered here.
        register_message_previewer(preview_triggers)
        # rules.xml exports leave these parameters empty unless secrets are asked for.
        declare_secret_parameters(k for kind in KINDS.values() for k in kind.secret_parameters)
