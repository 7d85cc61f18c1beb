"""Alerts > Rules URLs, included from the root URLconf at ``rules/``.

Only fixed words and integer ids here: ``rules/windows/`` and
``rules/errors/`` belong to other pages and must not be shadowed.
"""

from django.urls import path

from rules.editor import views

urlpatterns = [
    path("", views.rule_list, name="rule-list"),
    path("new/", views.rule_create, name="rule-create"),
    path("import/", views.rule_import, name="rule-import"),
    path("export/", views.rules_export, name="rule-export"),
    path("<int:pk>/", views.rule_detail, name="rule-detail"),
    path("<int:pk>/edit/", views.rule_edit, name="rule-edit"),
    path("<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("<int:pk>/toggle/", views.rule_toggle, name="rule-toggle"),
    path("<int:pk>/export/", views.rule_export, name="rule-export-one"),
]
