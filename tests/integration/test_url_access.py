"""Every URL is behind a login; operators cannot reach editing views or editing APIs."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from atsd_alerts.urls import urlpatterns

SAMPLE_KWARGS = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "0" * 32}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) == "admin":
                continue  # Django admin guards itself (staff login)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _url(route: str) -> str:
    import re

    def fill(match):
        converter = match.group(1) or "str"
        return SAMPLE_KWARGS.get(converter, "x")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route)


ROUTES = sorted(_walk(urlpatterns), key=lambda item: item[0])
PUBLIC = {"login/", "logout/"}


def _is_api(route: str) -> bool:
    return route.startswith("api/")


GUARDED = [(r, p) for r, p in ROUTES if r not in PUBLIC]


@pytest.mark.django_db
def test_only_the_login_page_is_public(client):
    assert client.get("/login/").status_code == 200
    assert {r for r, _ in ROUTES} >= PUBLIC


@pytest.mark.django_db
@pytest.mark.parametrize("route,pattern", GUARDED, ids=[r for r, _ in GUARDED])
def test_anonymous_users_are_sent_to_login_or_get_401(client, route, pattern):
    url = _url(route)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if _is_api(route):
            assert response.status_code in (401, 405), (method, url, response.status_code)
            if response.status_code == 405:
                continue
            assert response.json()["error"]
        else:
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), response["Location"]


def _editing(pattern) -> bool:
    return bool(getattr(pattern.callback, "editing", False))


EDITING = [(r, p) for r, p in ROUTES if _editing(p)]


def test_editing_views_exist_to_be_checked():
    names = {p.name for _, p in EDITING}
    assert {"api-tokens", "api-command", "api-series-insert"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("route,pattern", EDITING, ids=[r for r, _ in EDITING])
def test_operators_get_403_on_editing_views_and_apis(operator_client, route, pattern):
    url = _url(route)
    for method in ("get", "post"):
        response = getattr(operator_client, method)(url)
        assert response.status_code in (403, 405), (method, url, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route,pattern",
    [(r, p) for r, p in ROUTES if not _editing(p) and r not in PUBLIC and not _is_api(r)],
)
def test_operators_can_read_every_page(operator_client, route, pattern):
    response = operator_client.get(_url(route), follow=True)
    assert response.status_code in (200, 404), (route, response.status_code)


def test_every_route_resolves_through_the_root_urlconf():
    resolver = get_resolver()
    for route, _pattern in ROUTES:
        resolver.resolve(_url(route))
