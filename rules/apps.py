from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "rules"
    verbose_name = "Rules, ingestion and alerts"

    def ready(self) -> None:
        # Rule saves announce themselves to routers and engine partitions (receivers).
        from rules import limits
        from rules.partition import rule_changes  # noqa: F401

        limits.apply()
