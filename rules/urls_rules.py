"""Alerts > Rules URLs, included from the root URLconf at ``rules/``.

Only fixed words and integer ids here: ``rules/windows/`` and
``rules/errors/`` belong to other pages and must not be shadowed.
"""

from django.urls import path

from rules.views import rules

urlpatterns = [
    path("", rules.rule_list, name="rule-list"),
    path("new/", rules.rule_create, name="rule-create"),
    path("import/", rules.rule_import, name="rule-import"),
    path("export/", rules.rules_export, name="rule-export"),
    path("<int:pk>/", rules.rule_detail, name="rule-detail"),
    path("<int:pk>/edit/", rules.rule_edit, name="rule-edit"),
    path("<int:pk>/delete/", rules.rule_delete, name="rule-delete"),
    path("<int:pk>/toggle/", rules.rule_toggle, name="rule-toggle"),
    path("<int:pk>/export/", rules.rule_export, name="rule-export-one"),
]
