from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from atsd_alerts import views as site
from rules.ingest import api as ingest_api
from rules.ingest import pages as catalog_pages

urlpatterns = [
    path("", site.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/tokens/", site.api_tokens, name="api-tokens"),
    path("account/tokens/<int:pk>/delete/", site.api_token_delete, name="api-token-delete"),
    # Alerts menu
    # Open Alerts, Alert History, Rule Windows, Rule Errors and /api/v1/alerts/*
    path("", include("rules.alerts.urls")),
    path("rules/<int:pk>/notifications/", include("notifications.bindings.urls")),
    path("rules/", include("rules.editor.urls")),
    path("", include("rules.backtest.urls")),  # Test on history, /api/v1/rules/backtest
    path("notifications/", include("notifications.endpoints.urls")),
    path("", include("notifications.log.urls")),  # /api/v1/notifications/log
    # Data menu
    path("entities/", catalog_pages.entity_list, name="entity-list"),
    path("metrics/", catalog_pages.metric_list, name="metric-list"),
    path("entity-groups/", include("rules.editor.group_urls")),
    path("portals/", include("notifications.portals.urls")),
    path("", include("rules.stores.urls")),  # Replacement Tables, Named Collections
    # APIs
    path("api/v1/command", ingest_api.command, name="api-command"),
    path("api/v1/series/insert", ingest_api.series_insert, name="api-series-insert"),
    path("admin/", admin.site.urls),
]
