from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Installed so that Django finds the management commands; it has no models."""

    name = "devtools"
    verbose_name = "Developer tools"
