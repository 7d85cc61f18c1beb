"""File names (spec §7.3), history texts (§8), alert durations (§5.4)."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications.rendering import (
    TriggerScope,
    default_history_text,
    details_file_name,
    history_alert_text,
    image_file_name,
    render,
)
from tests.unit.rendering.fixtures import info, trigger


def _ms(y: int, mo: int, d: int, h: int, mi: int, s: int, micro: int = 0) -> int:
    return int(dt.datetime(y, mo, d, h, mi, s, micro, tzinfo=dt.UTC).timestamp() * 1000)


def test_image_name_matches_the_screenshot() -> None:
    t = _ms(2018, 2, 22, 17, 10, 59, micro=634_000)
    name = image_file_name("atsd.jvm.low_memory", "atsd", "OPEN", "Default", t)
    assert name == "atsd.jvm.low_memory_atsd_open_Default_20180222_1710596.png"


def test_details_name_matches_the_screenshot() -> None:
    t = _ms(2017, 11, 27, 14, 8, 4, micro=399_000)
    name = details_file_name("atsd.jvm.low_memory", "atsd", "OPEN", t)
    assert name == "atsd.jvm.low_memory_atsd_open_20171127_1408043.txt"


def test_row_21_details_name() -> None:
    t = _ms(2018, 2, 22, 12, 0, 0, micro=361_000)
    assert (
        details_file_name("temperature-too-high", "br-1905", "OPEN", t)
        == "temperature-too-high_br-1905_open_20180222_1200003.txt"
    )


def test_unsafe_characters_become_underscores() -> None:
    name = image_file_name("disk low/é", "host:1", "REPEAT", "My Portal", 0)
    assert name == "disk_low___host_1_repeat_My_Portal_19700101_0000000.png"


def test_names_use_the_server_zone() -> None:
    t = _ms(2018, 2, 22, 23, 30, 0)
    assert details_file_name("r", "e", "CANCEL", t, "Europe/Berlin").endswith(
        ["", "r", "e", "cancel_20180223_0030000.txt"][-1]
    )
    assert details_file_name("r", "e", "CANCEL", t, "Europe/Berlin") == (
        "r_e_cancel_20180223_0030000.txt"
    )


# -- history texts ------------------------------------------------------------------------


def test_row_6_default_cancel_text() -> None:
    trig = trigger("walkthrough_cancel")
    assert default_history_text(trig) == "Cancel alert for br-1905, temperature, {}"


def test_default_open_and_repeat_texts_round_the_value() -> None:
    trig = trigger("jvm_open", {"value": 66.75812345})
    assert default_history_text(trig) == (
        "Open alert for atsd, jvm_memory_used_percent, {host=AXIBASE}. Value: 66.758"
    )
    rep = trigger("disk_low_open", {"status": "REPEAT"})
    assert default_history_text(rep) == (
        "Repeat alert for nurswgvml007, disk_used_percent, "
        "{file_system=/dev/sda1, mount_point=/}. Value: 85.5"
    )


def test_history_uses_the_logging_text_with_full_precision() -> None:
    trig = trigger("jvm_repeat_three_samples")
    result = history_alert_text(
        trig, info(), "${status} ${value} at ${received_datetime} ${ruleLink}", now_ms=trig.now_ms
    )
    link = "/rule/edit.xhtml?name=atsd.jvm.low_memory"  # no server.url in this info
    assert result.text == "REPEAT 22.72808635185156 at 2018-02-22T12:00:30Z " + link
    assert result.errors == []


def test_blank_logging_text_uses_the_default() -> None:
    trig = trigger("walkthrough_open")
    assert history_alert_text(trig, None, "  ", now_ms=trig.now_ms).text == (
        "Open alert for br-1905, temperature, {}. Value: 55"
    )


def test_logging_text_errors_are_reported() -> None:
    trig = trigger("walkthrough_open")
    result = history_alert_text(trig, info(), "x ${round(}", now_ms=trig.now_ms)
    assert result.text == "x ${round(}"
    assert len(result.errors) == 1


# -- alert durations (§5.4, §9 row 30) ---------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "padded", "interval"),
    [
        (105, "00:00:01:45", "1m:45s"),
        (60, "00:00:01:00", "1m:0s"),
        (4139, "00:01:08:59", "1h:8m:59s"),
        (45, "00:00:00:45", "45s"),
        (312, "00:00:05:12", "5m:12s"),
        (90061, "01:01:01:01", "1d:1h:1m:1s"),
    ],
)
def test_alert_durations(seconds: int, padded: str, interval: str) -> None:
    trig = trigger("walkthrough_repeat")
    # 999 ms past the whole second: durations count whole seconds.
    assert trig.open_time is not None
    now_ms = trig.open_time + seconds * 1000 + 999
    scope = TriggerScope(trig, info(), now_ms=now_ms)
    assert render("${alert_duration}|${alert_duration_interval}", scope).text == (
        f"{padded}|{interval}"
    )
