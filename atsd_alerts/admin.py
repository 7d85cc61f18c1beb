from django.contrib import admin

from atsd_alerts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("user", "name", "created", "last_used")
    readonly_fields = ("token_hash", "created", "last_used")
