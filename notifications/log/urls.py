"""The Notification Log API (the page is ``notification-log`` in notifications.endpoints.urls)."""

from django.urls import path

from notifications.log import views

urlpatterns = [
    path("api/v1/notifications/log", views.log_api, name="api-notification-log"),
]
