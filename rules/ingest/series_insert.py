"""Parse ``POST /api/v1/series/insert`` payloads into events (spec §1.4).

The body is a JSON array of series, each with a ``data`` array of samples.
Validation covers the whole request before anything is returned: one bad
item rejects the request, as ATSD does. Only ``HISTORY`` series feed the rule
engine; ``FORECAST`` series are validated and left out.

Error texts reproduce ATSD's where the spec lists them (they are what
existing clients look for); the others name the item index and the field.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from rules.columns import key_bytes, key_too_long, name_too_long, tag_key_bytes
from rules.events import SERIES, Event
from rules.ingest.values import MAX_TIME_MS, CommandError, parse_iso_time

_LONG_MAX = 2**63 - 1
_TYPES = ("HISTORY", "FORECAST")


class SeriesInsertError(ValueError):
    """The request is rejected whole; answer ``status`` with ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _bad(message: str) -> SeriesInsertError:
    return SeriesInsertError(400, f"IllegalArgumentException: {message}")


def _reject_constant(token: str) -> Any:
    # Jackson refuses NaN/Infinity tokens unless configured otherwise; so do we.
    raise ValueError(f"Non-standard token '{token}'")


def _load(payload: bytes | str) -> Any:
    try:
        if isinstance(payload, bytes):
            payload = payload.decode("utf-8")
        # Decimals keep the written digits, needed for the significand check.
        return json.loads(
            payload,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=_reject_constant,
        )
    except UnicodeDecodeError as exc:
        raise SeriesInsertError(
            500, f"JsonParseException: Invalid UTF-8 at byte {exc.start}"
        ) from None
    except RecursionError:
        raise SeriesInsertError(500, "JsonParseException: nesting too deep") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise SeriesInsertError(500, f"JsonParseException: {exc}") from None


def _storable(text: str, where: str) -> str:
    """``text`` when the database can store it: no NUL, no lone surrogate (JSON escapes
    can spell both)."""
    if "\x00" in text:
        raise _bad(f"{where} holds a NUL character (U+0000), which cannot be stored.")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad(f"{where} holds a lone surrogate, which cannot be stored.") from None
    return text


def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return _storable(value, where)
    if isinstance(value, Decimal):
        return str(value)
    raise _bad(f"{where} must be a string.")


def _name(value: Any, where: str, what: str) -> str:
    name = _text(value, where).lower()
    problem = name_too_long(what, name)
    if problem is not None:
        raise _bad(f"{where}: {problem}.")
    return name


def _time_ms(sample: dict[str, Any], where: str) -> int:
    if "t" in sample and sample["t"] is not None:
        t = sample["t"]
        if not isinstance(t, Decimal) or t != t.to_integral_value():
            raise _bad(f"{where}.t must be whole Unix milliseconds.")
        time_ms = int(t)
        if time_ms < 0:
            raise _bad("Negative timestamp.")
        if time_ms > MAX_TIME_MS:
            raise _bad(f"{where}.t {time_ms} is after 2106-02-07T06:59:59.999Z.")
        return time_ms
    if "d" in sample and sample["d"] is not None:
        d = sample["d"]
        if not isinstance(d, str):
            raise _bad(f"{where}.d must be an ISO-8601 string.")
        try:
            return parse_iso_time(d)
        except CommandError as exc:
            if "before 1970" in exc.reason:
                raise _bad("Negative timestamp.") from None
            raise _bad(f"{where}.d: {exc.reason}.") from None
    raise _bad(f"{where}: t or d required.")


def _value(sample: dict[str, Any], where: str) -> float:
    v = sample.get("v")
    if v is None:
        return math.nan
    if not isinstance(v, Decimal):
        raise _bad(f"{where}.v must be a number or null, not {json.dumps(v)[:40]}.")
    if v.is_finite():
        digits = v.as_tuple().digits
        # Length first: int() of a very long digit string is slow (and capped).
        if len(digits) > 19 or int("".join(map(str, digits))) > _LONG_MAX:
            raise _bad("BigDecimal significand overflows the long type.")
    value = float(v)
    if math.isinf(value):
        raise _bad(f"{where}.v {v} is out of the double range.")
    return value


def parse_series_insert(payload: bytes | str, receive_ms: int) -> list[Event]:
    """Events for the ``HISTORY`` samples of a series insert, in array order.

    Entity, metric and tag names are lower-cased; tag values are kept (an
    empty one is ignored, as in network commands). ``v: null`` and a sample
    with only ``x`` give a NaN value. Names and keys the database cannot store
    are refused as in network commands (:mod:`rules.columns`). ``s`` and
    ``version`` are accepted and not used by the engine. Raises :class:`SeriesInsertError` (400 for
    validation, 500 for JSON syntax and a bad ``type``, as ATSD answers).
    """
    document = _load(payload)
    if not isinstance(document, list):
        raise _bad("Request body must be a JSON array of series.")
    events: list[Event] = []
    for index, series in enumerate(document):
        where = f"item {index}"
        if not isinstance(series, dict):
            raise _bad(f"{where} must be a JSON object.")
        type_ = series.get("type") or "HISTORY"
        if not isinstance(type_, str) or type_.upper() not in _TYPES:
            raise SeriesInsertError(
                500, f"JsonMappingException: No enum constant SeriesType.{type_}"
            )
        entity = series.get("entity")
        if not entity:
            raise _bad("Empty entity.")
        entity = _name(entity, f"{where}.entity", "entity")
        metric = series.get("metric")
        if not metric:
            raise _bad(f"Empty metric in {where}.")
        metric = _name(metric, f"{where}.metric", "metric")
        tags = _tags(series.get("tags"), where)
        largest = max((tag_key_bytes(name, value) for name, value in tags.items()), default=0)
        problem = key_too_long(key_bytes(SERIES, metric, entity, largest))
        if problem is not None:
            raise _bad(f"{where}: entity, metric and its largest tag: {problem}.")
        data = series.get("data")
        if not data:
            raise _bad("No data.")
        if not isinstance(data, list):
            raise _bad(f"{where}.data must be an array.")
        history = type_.upper() == "HISTORY"
        for position, sample in enumerate(data):
            at = f"{where}.data[{position}]"
            if not isinstance(sample, dict):
                raise _bad(f"{at} must be a JSON object.")
            time_ms = _time_ms(sample, at)
            value = _value(sample, at)
            text = sample.get("x")
            if text is not None:
                text = _text(text, f"{at}.x")
            if history:
                # A sample with text only has no numeric value to expose via value().
                line_values = {metric: value} if "v" in sample else {}
                events.append(
                    Event(
                        kind=SERIES,
                        entity=entity,
                        metric=metric,
                        tags=tags,
                        time_ms=time_ms,
                        receive_ms=receive_ms,
                        value=value,
                        text=text,
                        line_values=line_values,
                    )
                )
    return events


def _tags(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _bad(f"{where}.tags must be an object.")
    tags = {}
    for name, value in raw.items():
        if not name:
            raise _bad(f"{where}.tags has an empty tag name.")
        if value is None or value == "":
            continue
        at = f"{where}.tags.{name[:80]}"
        tags[_name(name, at, "tag")] = _text(value, at)
    return tags
