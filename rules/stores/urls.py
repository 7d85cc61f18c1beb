"""Data > Messages, Properties, Replacement Tables and Named Collections URLs, included from
the root URLconf."""

from django.urls import path

from rules.stores import pages, record_pages

urlpatterns = [
    route
    for slug, prefix in (
        ("replacement-table", "replacement-tables/"),
        ("named-collection", "named-collections/"),
    )
    for route in (
        path(prefix, pages.entry_list, {"slug": slug}, name=f"{slug}-list"),
        path(f"{prefix}new/", pages.entry_create, {"slug": slug}, name=f"{slug}-create"),
        path(f"{prefix}import/", pages.entry_import, {"slug": slug}, name=f"{slug}-import"),
        path(f"{prefix}export/", pages.entry_export, {"slug": slug}, name=f"{slug}-export"),
        path(f"{prefix}<int:pk>/", pages.entry_edit, {"slug": slug}, name=f"{slug}-edit"),
        path(
            f"{prefix}<int:pk>/delete/", pages.entry_delete, {"slug": slug}, name=f"{slug}-delete"
        ),
    )
] + [
    path("messages/", record_pages.message_list, name="message-list"),
    path("properties/", record_pages.property_list, name="property-list"),
]
