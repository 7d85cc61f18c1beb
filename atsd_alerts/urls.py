from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from atsd_alerts import views as site
from rules.ingest import api as ingest_api
from rules.views import registry

ENGINE = "the running engine"
NOTIFY = "web notifications"

urlpatterns = [
    path("", site.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/tokens/", site.api_tokens, name="api-tokens"),
    path("account/tokens/<int:pk>/delete/", site.api_token_delete, name="api-token-delete"),
    # Alerts menu
    path("alerts/open/", site.not_yet("Open Alerts", ENGINE), name="open-alerts"),
    path("alerts/history/", site.not_yet("Alert History", ENGINE), name="alert-history"),
    path("rules/", site.not_yet("Rules", "the rules pages"), name="rule-list"),
    path("rules/windows/", site.not_yet("Rule Windows", ENGINE), name="rule-windows"),
    path("rules/errors/", site.not_yet("Rule Errors", ENGINE), name="rule-errors"),
    path("notifications/", site.not_yet("Web Notifications", NOTIFY), name="endpoint-list"),
    path("notifications/log/", site.not_yet("Notification Log", NOTIFY), name="notification-log"),
    # Data menu
    path("entities/", registry.entity_list, name="entity-list"),
    path("metrics/", registry.metric_list, name="metric-list"),
    # APIs
    path("api/v1/command", ingest_api.command, name="api-command"),
    path("api/v1/series/insert", ingest_api.series_insert, name="api-series-insert"),
    path("admin/", admin.site.urls),
]
