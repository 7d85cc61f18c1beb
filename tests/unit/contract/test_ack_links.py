"""Acknowledge-link tokens: signed for one purpose, expiring, refused when altered."""

import time

import pytest
from django.core import signing

from rules.contract.ack_links import (
    PATH_PREFIX,
    AckLinkError,
    AckTarget,
    ack_token,
    ack_url,
    read_ack_token,
)

RULE, KEY, EPISODE = "disk_low", "series|disk_used_percent|nurswgvml006|{}", 1_700_000_000_123


def _now_ms() -> int:
    return int(time.time() * 1000)


def test_a_token_names_its_alert_episode():
    token = ack_token(RULE, KEY, EPISODE, _now_ms())
    assert read_ack_token(token) == AckTarget(RULE, KEY, EPISODE)


def test_the_same_trigger_gives_the_same_link():
    at = _now_ms()
    assert ack_token(RULE, KEY, EPISODE, at) == ack_token(RULE, KEY, EPISODE, at)
    assert ack_token(RULE, KEY, EPISODE, at) != ack_token(RULE, KEY, EPISODE + 1, at)


def test_a_token_expires_after_its_age_counted_from_the_trigger():
    token = ack_token(RULE, KEY, EPISODE, _now_ms() - 3_600_000)  # triggered an hour ago
    assert read_ack_token(token, max_age_s=7200).episode == EPISODE
    with pytest.raises(AckLinkError) as caught:
        read_ack_token(token, max_age_s=1800)
    assert caught.value.expired


def test_the_configured_age_applies_by_default(settings):
    settings.ACK_LINK_MAX_AGE_HOURS = 1
    with pytest.raises(AckLinkError, match="expired"):
        read_ack_token(ack_token(RULE, KEY, EPISODE, _now_ms() - 2 * 3_600_000))


@pytest.mark.parametrize("position", [0, 10, -1])
def test_an_altered_token_is_refused(position):
    token = ack_token(RULE, KEY, EPISODE, _now_ms())
    i = position % len(token)
    altered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    with pytest.raises(AckLinkError) as caught:
        read_ack_token(altered)
    assert not caught.value.expired


def test_a_value_signed_for_another_purpose_is_refused():
    other = signing.dumps({"r": RULE, "w": KEY, "e": EPISODE})  # default salt
    with pytest.raises(AckLinkError, match="not valid"):
        read_ack_token(other)


def test_a_token_signed_with_another_key_is_refused(settings):
    token = ack_token(RULE, KEY, EPISODE, _now_ms())
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY
    with pytest.raises(AckLinkError, match="not valid"):
        read_ack_token(token)


def test_garbage_is_refused():
    for text in ("", "x", "a:b:c", "Zm9v:1:2"):
        with pytest.raises(AckLinkError):
            read_ack_token(text)


def test_the_url_is_on_the_server():
    url = ack_url("https://atsd.example.org:8443/", RULE, KEY, EPISODE, _now_ms())
    assert url.startswith(f"https://atsd.example.org:8443{PATH_PREFIX}")
    assert url.endswith("/")
    token = url[len(f"https://atsd.example.org:8443{PATH_PREFIX}") : -1]
    assert "/" not in token
    assert read_ack_token(token).rule == RULE
