"""URLs of the alert pages and the alerts Data API (included from the root URLconf)."""

from django.urls import path

from rules.api import alerts as alerts_api
from rules.views import alerts, windows

urlpatterns = [
    path("alerts/open/", alerts.open_alerts, name="open-alerts"),
    path("alerts/open/rows/", alerts.open_alerts_rows, name="open-alerts-rows"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/acknowledge/", alerts.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/<int:pk>/delete/", alerts.alert_delete, name="alert-delete"),
    path("alerts/history/", alerts.alert_history, name="alert-history"),
    path("rules/windows/", windows.rule_windows, name="rule-windows"),
    path("rules/errors/", alerts.rule_errors, name="rule-errors"),
    path("api/v1/alerts/query", alerts_api.alerts_query, name="api-alerts-query"),
    path("api/v1/alerts/history/query", alerts_api.history_query, name="api-alerts-history"),
    path("api/v1/alerts/update", alerts_api.alerts_update, name="api-alerts-update"),
    path("api/v1/alerts/delete", alerts_api.alerts_delete, name="api-alerts-delete"),
]
