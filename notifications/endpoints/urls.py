"""URLs under ``notifications/`` (included by the root URLconf)."""

from django.urls import path

from notifications.endpoints import mail_client, views
from notifications.log.views import notification_log

urlpatterns = [
    path("", views.endpoint_list, name="endpoint-list"),
    path("log/", notification_log, name="notification-log"),
    path("mail-client/", mail_client.mail_client_settings, name="mail-client"),
    path("new/", views.endpoint_choose_kind, name="endpoint-choose-kind"),
    path("new/<str:kind>/", views.endpoint_create, name="endpoint-create"),
    path("new/<str:kind>/test/", views.endpoint_test, name="endpoint-test-new"),
    path("new/<str:kind>/screenshot/", views.endpoint_screenshot, name="endpoint-screenshot-new"),
    path("import/", views.endpoint_import, name="endpoint-import"),
    path("export/", views.endpoint_export_all, name="endpoint-export"),
    path("<int:pk>/", views.endpoint_edit, name="endpoint-edit"),
    path("<int:pk>/test/", views.endpoint_test, name="endpoint-test"),
    path("<int:pk>/screenshot/", views.endpoint_screenshot, name="endpoint-screenshot"),
    path("<int:pk>/delete/", views.endpoint_delete, name="endpoint-delete"),
    path("<int:pk>/export/", views.endpoint_export_one, name="endpoint-export-one"),
    path("<int:pk>/secret/<str:key>/", views.endpoint_secret, name="endpoint-secret"),
]
