from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "rules"
    verbose_name = "Rules, ingestion and alerts"

    def ready(self) -> None:
        # Rule saves bump the rules version that routers and engine partitions watch.
        from rules import limits
        from rules.runtime import versions  # noqa: F401

        limits.apply()
