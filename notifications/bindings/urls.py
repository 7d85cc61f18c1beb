"""The rule's Web Notifications tab at ``rules/<int:pk>/notifications/`` and its Email
Notifications tab at ``rules/<int:pk>/notifications/email/`` (root URLconf)."""

from django.urls import path

from notifications.bindings import email_views, views

urlpatterns = [
    path("", views.binding_list, name="rule-notifications"),
    path("new/", views.binding_create, name="rule-notification-create"),
    path("<int:binding_pk>/", views.binding_edit, name="rule-notification-edit"),
    path("<int:binding_pk>/delete/", views.binding_delete, name="rule-notification-delete"),
    path("email/", email_views.email_binding_list, name="rule-email-notifications"),
    path("email/new/", email_views.email_binding_create, name="rule-email-notification-create"),
    path("email/<int:index>/", email_views.email_binding_edit, name="rule-email-notification-edit"),
    path(
        "email/<int:index>/delete/",
        email_views.email_binding_delete,
        name="rule-email-notification-delete",
    ),
]
