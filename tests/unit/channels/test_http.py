"""The outbound HTTP client: settings → session, and secrets kept out of texts."""

from __future__ import annotations

import pytest

from devtools.fakes.hipchat import HipChatFake
from notifications.channels.http import (
    HttpClient,
    HttpSettings,
    NetworkError,
    new_session,
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
