"""Django admin for endpoints: read-mostly, secrets never shown (design invariant 6).

The real editor is Alerts > Web Notifications; the admin lists endpoints and
shows their parameters with secret values masked.
"""

from django.contrib import admin
from django.utils.html import format_html_join

from notifications.models import Endpoint, masked_parameters


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    list_display = ("name", "kind", "enabled", "base_url", "updated")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "description")
    # parameters and proxy_password hold secrets: never rendered as form values here.
    exclude = ("parameters", "proxy_password")
    readonly_fields = ("kind", "masked", "created", "updated")

    @admin.display(description="parameters (secrets masked)")
    def masked(self, obj: Endpoint) -> str:
        return format_html_join(
            "", "<div><code>{}</code> = {}</div>", masked_parameters(obj).items()
        )
