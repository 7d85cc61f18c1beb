"""The outbound HTTP client: settings → session, and secrets kept out of texts."""

from __future__ import annotations

import threading

import pytest
from requests.adapters import HTTPAdapter

from devtools.fakes.hipchat import HipChatFake, Reply
from notifications.channels.http import (
    HttpClient,
    HttpSettings,
    NetworkError,
    new_session,
    pooled_session,
    proxy_url_with_credentials,
    redact,
)


def test_it_redacts_query_tokens_bearer_values_url_credentials_and_known_secrets() -> None:
    text = (
        "GET https://h/v2/room/1?auth_token=abc123&x=1 Authorization: Bearer tok-9 "
        "via socks5://user:pa%40ss@proxy:1080 echo s3cret"
    )

    cleaned = redact(text, secrets=["s3cret"])

    for secret in ("abc123", "tok-9", "pa%40ss", "user:", "s3cret"):
        assert secret not in cleaned
    assert "x=1" in cleaned


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (HttpSettings(), ""),
        (HttpSettings(proxy_url="http://proxy:3128"), "http://proxy:3128"),
        (
            HttpSettings(
                proxy_url="socks5://proxy:1080", proxy_username="ops@corp", proxy_password="p:w/d"
            ),
            "socks5://ops%40corp:p%3Aw%2Fd@proxy:1080",
        ),
        (
            HttpSettings(proxy_url="https://old:x@proxy:443", proxy_username="new"),
            "https://new@proxy:443",
        ),
    ],
)
def test_it_puts_proxy_credentials_in_the_proxy_url(settings: HttpSettings, expected: str) -> None:
    assert proxy_url_with_credentials(settings) == expected


def test_it_configures_sessions_from_settings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy:1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/env/ca.pem")

    plain = new_session(HttpSettings())
    proxied = new_session(HttpSettings(proxy_url="socks5://p:1080", verify_tls=False))
    pinned = new_session(HttpSettings(ca_bundle="/etc/ssl/hipchat.pem"))

    assert plain.trust_env is False
    assert plain.proxies == {}
    assert plain.verify is True
    assert proxied.proxies == {"http": "socks5://p:1080", "https": "socks5://p:1080"}
    assert proxied.verify is False
    assert pinned.verify == "/etc/ssl/hipchat.pem"


def test_it_returns_any_status_as_a_result(hipchat_fake: HipChatFake) -> None:
    client = HttpClient(HttpSettings())

    result = client.request("POST", hipchat_fake.url + "/v2/room/1/notification", json={})

    assert result.status == 401
    assert result.headers["x-ratelimit-limit"] == "500"
    assert "Authenticated requests only" in result.body_text
    assert result.elapsed_ms >= 0


def test_it_raises_a_redacted_network_error_through_an_unreachable_proxy() -> None:
    settings = HttpSettings(
        proxy_url="socks5://127.0.0.1:1", proxy_username="u", proxy_password="proxy-pw-1"
    )
    client = HttpClient(settings, secrets=["tok-xyz"])

    with pytest.raises(NetworkError) as caught:
        client.request(
            "POST", "http://127.0.0.1:1/v2/room/1/notification?auth_token=tok-xyz", json={}
        )

    assert caught.value.kind in {"proxy", "connection"}
    assert "proxy-pw-1" not in caught.value.message
    assert "tok-xyz" not in caught.value.message
    assert caught.value.__cause__ is None


def test_clients_of_one_thread_share_a_kept_alive_connection(hipchat_fake: HipChatFake) -> None:
    settings = HttpSettings(read_timeout_s=7.5)  # settings of this test alone
    url = hipchat_fake.url + "/v2/room/1/notification"

    HttpClient(settings).request("POST", url, json={})
    HttpClient(settings).close()  # a client's close leaves the thread's pool open
    HttpClient(settings).request("POST", url, json={})

    adapter = pooled_session(settings).adapters["http://"]
    assert isinstance(adapter, HTTPAdapter)
    pools = adapter.poolmanager.pools
    [pool] = [pools[key] for key in pools.keys()]  # noqa: SIM118 - the container refuses iteration
    assert pool.num_connections == 1
    assert pool.num_requests == 2


def test_each_thread_and_configuration_has_its_own_session() -> None:
    settings = HttpSettings(read_timeout_s=8.5)
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(pooled_session(settings)))
    thread.start()
    thread.join()

    assert pooled_session(settings) is pooled_session(settings)
    assert pooled_session(settings) is not other[0]
    assert pooled_session(settings) is not pooled_session(HttpSettings(read_timeout_s=9.5))


def test_a_pooled_session_keeps_no_cookie(hipchat_fake: HipChatFake) -> None:
    settings = HttpSettings(read_timeout_s=6.5)
    hipchat_fake.script(Reply(status=200, headers={"Set-Cookie": "session=abc; Path=/"}))

    result = HttpClient(settings).request("GET", hipchat_fake.url + "/v2/room/1")

    assert "session=abc" in result.headers["Set-Cookie"]
    assert len(pooled_session(settings).cookies) == 0  # never sent to another endpoint
