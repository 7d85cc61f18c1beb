"""DateTime members (spec §4.6), comparisons and text form (§5.3)."""

import pytest

from rules.expressions.datetime_value import DateTime
from rules.expressions.errors import EvaluationError

from .helpers import ev

# 2018-08-17T15:13:16.946Z, a Friday
NOW = 1_534_518_796_946


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("millis", NOW),
        ("epochNano", NOW * 1_000_000),
        ("iso", "2018-08-17T15:13:16.946Z"),
        ("year", 2018),
        ("monthOfYear", 8),
        ("dayOfMonth", 17),
        ("hourOfDay", 15),
        ("minuteOfHour", 13),
        ("secondOfMinute", 16),
        ("millisOfSecond", 946),
        ("dayOfYear", 229),
        ("dayOfWeek", 5),
        ("day_of_week", "Friday"),
        ("weekOfWeekyear", 33),
        ("timeOfDay", "15:13:16.946"),
        ("minuteOfDay", 15 * 60 + 13),
        ("secondOfDay", (15 * 60 + 13) * 60 + 16),
        ("millisOfDay", ((15 * 60 + 13) * 60 + 16) * 1000 + 946),
        ("getMillis()", NOW),
        ("getHourOfDay()", 15),
        ("getDayOfWeek()", 5),
        ("is_weekday()", True),
        ("is_weekend()", False),
    ],
)
def test_members_of_now(member, expected):
    assert ev(f"now.{member}", now_ms=NOW) == expected


def test_today_yesterday_tomorrow_follow_the_server_zone():
    assert str(ev("today", now_ms=NOW)) == "2018-08-17T00:00Z[UTC]"
    assert str(ev("yesterday", now_ms=NOW)) == "2018-08-16T00:00Z[UTC]"
    assert str(ev("tomorrow", now_ms=NOW)) == "2018-08-18T00:00Z[UTC]"
    assert str(ev("today", now_ms=NOW, zone="Asia/Tokyo")) == ("2018-08-18T00:00+09:00[Asia/Tokyo]")


def test_add_and_to_timezone():
    assert ev("now.add(1, 'day').dayOfMonth", now_ms=NOW) == 18
    assert ev("now.add(-2, 'hours').hourOfDay", now_ms=NOW) == 13
    assert ev("now.add(6, 'month').monthOfYear", now_ms=NOW) == 2
    assert ev("now.to_timezone('Europe/Berlin').hourOfDay", now_ms=NOW) == 17
    with pytest.raises(EvaluationError, match="unknown time unit"):
        ev("now.add(1, 'fortnight')", now_ms=NOW)
    with pytest.raises(EvaluationError, match="unknown time zone"):
        ev("now.to_timezone('Mars/Base')", now_ms=NOW)


def test_comparisons_with_datetimes_iso_strings_and_millis():
    assert ev("now > '2018-08-17T15:00:00Z'", now_ms=NOW) is True
    assert ev("now < '2018-08-17'", now_ms=NOW) is False
    assert ev("now == '2018-08-17T15:13:16.946Z'", now_ms=NOW) is True
    assert ev("yesterday < today && today < now", now_ms=NOW) is True
    assert ev("now >= 1534518796946", now_ms=NOW) is True
    assert ev("now.timeOfDay BETWEEN '09:45' AND '17:45'", now_ms=NOW) is True
    assert ev("now.hourOfDay = 15", now_ms=NOW) is True


@pytest.mark.parametrize(
    ("millis", "zone", "text"),
    [
        (1534518796946, "Etc/UTC", "2018-08-17T15:13:16.946Z[Etc/UTC]"),
        (1536841080000, "Etc/UTC", "2018-09-13T12:18Z[Etc/UTC]"),
        (1536841065000, "Etc/UTC", "2018-09-13T12:17:45Z[Etc/UTC]"),
        (1536784422000, "Europe/Berlin", "2018-09-12T22:33:42+02:00[Europe/Berlin]"),
        (1515511422000, "Europe/Berlin", "2018-01-09T16:23:42+01:00[Europe/Berlin]"),
    ],
)
def test_text_form_is_java_zoned_date_time(millis, zone, text):
    assert str(DateTime(millis, zone)) == text


def test_placeholder_join_uses_the_text_form():
    assert ev("'at ' + now", now_ms=NOW, zone="Etc/UTC") == "at 2018-08-17T15:13:16.946Z[Etc/UTC]"
