"""Data > Entity Groups URLs, included from the root URLconf at ``entity-groups/``."""

from django.urls import path

from rules.editor import groups

urlpatterns = [
    path("", groups.group_list, name="entity-group-list"),
    path("new/", groups.group_edit, name="entity-group-create"),
    path("import/", groups.group_import, name="entity-group-import"),
    path("export/", groups.group_export, name="entity-group-export"),
    path("<int:pk>/", groups.group_edit, name="entity-group-edit"),
    path("<int:pk>/delete/", groups.group_delete, name="entity-group-delete"),
]
