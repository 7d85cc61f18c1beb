"""``${ackLink}``: the acknowledge link of the trigger's alert episode, inlined in the
endpoint's link style; nothing for a CANCEL."""

from __future__ import annotations

import re

from notifications.rendering import render_message
from notifications.rendering.flapping import period_text
from rules.contract.ack_links import PATH_PREFIX, AckTarget, read_ack_token
from tests.unit.rendering.fixtures import info, trigger

SERVER = "https://atsd.example.org:8443"


def _token(url: str) -> str:
    return url.removeprefix(SERVER + PATH_PREFIX).removesuffix("/")


def test_the_link_acknowledges_the_triggers_episode():
    trig = trigger("walkthrough_open")
    text = render_message(
        "${ackLink}", trig, info({"server_url": SERVER + "/"}), now_ms=trig.now_ms,
        message_format="text",
    ).text  # fmt: skip
    assert text.startswith(SERVER + PATH_PREFIX)
    target = read_ack_token(_token(text), max_age_s=10**10)  # the fixture is from 2018
    assert target == AckTarget(trig.rule, trig.window_key, trig.episode)


def test_html_messages_show_it_as_an_acknowledge_link():
    trig = trigger("walkthrough_repeat")
    text = render_message(
        "${ackLink}", trig, info({"server_url": SERVER}), now_ms=trig.now_ms,
        message_format="html",
    ).text  # fmt: skip
    assert re.fullmatch(
        rf'<a href="{re.escape(SERVER + PATH_PREFIX)}[^"/]+/">Acknowledge</a>', text
    )


def test_a_cancel_has_no_link():
    trig = trigger("walkthrough_cancel")
    result = render_message(
        "[${ackLink}]", trig, info({"server_url": SERVER}), now_ms=trig.now_ms,
        message_format="text",
    )  # fmt: skip
    assert result.text == "[]"


def test_flap_periods_read_in_their_largest_unit():
    assert [period_text(ms) for ms in (1000, 90_000, 600_000, 3_600_000, 7_200_000, 1500)] == [
        "1 second", "90 seconds", "10 minutes", "1 hour", "2 hours", "1500 ms",
    ]  # fmt: skip
