"""The rule's Web Notifications tab, at ``rules/<int:pk>/notifications/`` (root URLconf)."""

from django.urls import path

from notifications.bindings import views

urlpatterns = [
    path("", views.binding_list, name="rule-notifications"),
    path("new/", views.binding_create, name="rule-notification-create"),
    path("<int:binding_pk>/", views.binding_edit, name="rule-notification-edit"),
    path("<int:binding_pk>/delete/", views.binding_delete, name="rule-notification-delete"),
]
