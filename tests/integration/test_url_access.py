"""A walk over every URL pattern for each role.

Anonymous users are sent to the login page (401 on the APIs), the login page and the
signed acknowledge link excepted; users without a role
and collectors read nothing, and collectors may only post to the ingestion APIs;
operators read every page but reach no editing view or editing API; administrators
reach everything.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import URLPattern, URLResolver, get_resolver

from atsd_alerts.accounts import COLLECTORS, OPERATORS
from atsd_alerts.api_auth import WRITE_DATA
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
# The acknowledge link of a notification: its signed token is the permission, for one
# action on one alert (rules.alerts.ack_links; tests/integration/test_ack_links.py).
PUBLIC = {"login/", "logout/", "alerts/ack/<str:token>/"}


def _is_api(route: str) -> bool:
    return route.startswith("api/")


GUARDED = [(r, p) for r, p in ROUTES if r not in PUBLIC]


@pytest.mark.django_db
def test_only_the_login_page_is_public(client):
    assert client.get("/login/").status_code == 200
    assert {r for r, _ in ROUTES} >= PUBLIC


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), GUARDED, ids=[r for r, _ in GUARDED])
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
@pytest.mark.parametrize(("route", "pattern"), EDITING, ids=[r for r, _ in EDITING])
def test_operators_get_403_on_editing_views_and_apis(operator_client, route, pattern):
    _assert_refused(operator_client, route)


def _assert_refused(client, route: str) -> None:
    url = _url(route)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code in (403, 405), (method, url, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "pattern"),
    [(r, p) for r, p in ROUTES if not _editing(p) and r not in PUBLIC and not _is_api(r)],
)
def test_operators_can_read_every_page(operator_client, route, pattern):
    response = operator_client.get(_url(route), follow=True)
    assert response.status_code in (200, 404), (route, response.status_code)


def test_every_route_resolves_through_the_root_urlconf():
    resolver = get_resolver()
    for route, _pattern in ROUTES:
        resolver.resolve(_url(route))


def _ingestion(pattern) -> bool:
    return getattr(pattern.callback, "api_role", None) == WRITE_DATA


INGESTION = [(r, p) for r, p in ROUTES if _ingestion(p)]
NOT_INGESTION = [(r, p) for r, p in GUARDED if not _ingestion(p)]


def test_the_ingestion_apis_are_the_collectors_routes():
    assert {p.name for _, p in INGESTION} == {"api-command", "api-series-insert"}


def _signed_in(client, username: str, *groups: str):
    user = User.objects.create_user(username=username, password="pw-" + username)
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), NOT_INGESTION, ids=[r for r, _ in NOT_INGESTION])
def test_a_collector_account_reads_no_page_and_no_api(client, route, pattern):
    _assert_refused(_signed_in(client, "collector", COLLECTORS), route)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), GUARDED, ids=[r for r, _ in GUARDED])
def test_a_user_without_a_role_reaches_nothing(client, route, pattern):
    _assert_refused(_signed_in(client, "nobody"), route)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), INGESTION, ids=[r for r, _ in INGESTION])
def test_a_collector_account_posts_data(client, route, pattern):
    collector = _signed_in(client, "collector", COLLECTORS)
    response = collector.post(_url(route), data="", content_type="text/plain")
    assert response.status_code not in (401, 403, 405), (route, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), GUARDED, ids=[r for r, _ in GUARDED])
def test_administrators_reach_every_route(admin_client, route, pattern):
    url = _url(route)
    for method in ("get", "post"):
        response = getattr(admin_client, method)(url)
        assert response.status_code not in (401, 403), (method, url, response.status_code)


@pytest.mark.django_db
def test_an_operator_who_is_also_a_collector_reads_pages(client):
    both = _signed_in(client, "both", OPERATORS, COLLECTORS)
    assert both.get("/alerts/open/").status_code == 200
