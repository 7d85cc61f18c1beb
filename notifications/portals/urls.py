"""URLs under ``portals/``: ``/portals/series`` is the chartLink of spec §5.5."""

from django.urls import path

from notifications.portals import views

urlpatterns = [
    path("", views.portal_list, name="portal-list"),
    path("series", views.series_portal, name="portal-series"),
    path("overview", views.overview_portal, name="portal-overview"),
]
