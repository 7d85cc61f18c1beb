"""URLs of the alert pages and the alerts Data API (included from the root URLconf)."""

from django.urls import path

from rules.alerts import ack_links, api, pages, window_pages

urlpatterns = [
    path("alerts/open/", pages.open_alerts, name="open-alerts"),
    path("alerts/open/rows/", pages.open_alerts_rows, name="open-alerts-rows"),
    path("alerts/<int:pk>/", pages.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/acknowledge/", pages.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/<int:pk>/delete/", pages.alert_delete, name="alert-delete"),
    # rules.contract.ack_links.PATH_PREFIX: the link a notification carries, no login
    path("alerts/ack/<str:token>/", ack_links.acknowledge_link, name="alert-ack-link"),
    path("alerts/history/", pages.alert_history, name="alert-history"),
    path("rules/windows/", window_pages.rule_windows, name="rule-windows"),
    path("rules/errors/", pages.rule_errors, name="rule-errors"),
    path("api/v1/alerts/query", api.alerts_query, name="api-alerts-query"),
    path("api/v1/alerts/history/query", api.history_query, name="api-alerts-history"),
    path("api/v1/alerts/update", api.alerts_update, name="api-alerts-update"),
    path("api/v1/alerts/delete", api.alerts_delete, name="api-alerts-delete"),
]
