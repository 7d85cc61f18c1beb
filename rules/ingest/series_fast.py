"""The fast path of ``rules.ingest.commands``: plain ``series`` lines without quotes.

Built on ``str.split(' ')``, it never reports errors itself: on anything unusual or
invalid it gives up (``None``) and the general path decides, naming the field at fault.
"""

from __future__ import annotations

from rules.columns import KEY_MAX_BYTES, NAME_MAX_CHARS, key_bytes, tag_key_bytes, utf8_len
from rules.events import SERIES, Event
from rules.ingest.values import MAX_TAGS, MAX_TIME_MS, NAN, CommandError, parse_iso_time

# Nor can a line this short hold a name or series key the database cannot store
# (rules.columns): lower-casing at most doubles a name's characters (U+0130) and
# multiplies its UTF-8 bytes by 1.5, and a key is shorter than the fields it comes from.
UNCHECKED_LINE_CHARS = NAME_MAX_CHARS // 2

# Collectors repeat the same entity and tag fields line after line, so the fast path
# remembers each valid ``e:`` and ``t:`` field it has read (field → ("", lower-cased
# entity) or (lower-cased tag name, value)) and each valid metric name as written
# (→ lower-cased): a repeated field costs one dict lookup instead of a split, a check
# and a lower(). Only fields valid on their own and at most ``FIELD_MEMO_MAX_CHARS``
# long are remembered; each memo is emptied when it reaches ``FIELD_MEMO_LIMIT``
# entries, so it stays small (a few MB) under any input.
FIELD_MEMO_LIMIT = 20_000
FIELD_MEMO_MAX_CHARS = 128
_known_fields: dict[str, tuple[str, str]] = {}
_known_metrics: dict[str, str] = {}


def _learn_field(token: str) -> tuple[str, str] | None:
    """("", entity) or (tag name, value) of a new ``e:``/``t:`` field, or None when the
    fast path cannot take it (other prefixes, empty names or values, unprintable text)."""
    prefix, _, payload = token.partition(":")
    if not token.isprintable():
        return None
    if prefix == "e" and payload:
        known = ("", payload.lower())
    elif prefix == "t":
        name, _, value = payload.partition("=")
        if not (name and value):
            return None
        known = (name.lower(), value)
    else:
        return None
    if len(token) <= FIELD_MEMO_MAX_CHARS:
        if len(_known_fields) >= FIELD_MEMO_LIMIT:
            _known_fields.clear()
        _known_fields[token] = known
    return known


def _learn_metric(name: str) -> str | None:
    """The lower-cased form of a new metric name, or None when it is empty or unprintable."""
    if not (name and name.isprintable()):
        return None
    lowered = name.lower()
    if len(name) <= FIELD_MEMO_MAX_CHARS:
        if len(_known_metrics) >= FIELD_MEMO_LIMIT:
            _known_metrics.clear()
        _known_metrics[name] = lowered
    return lowered


def _fits(entity: str, values: dict[str, float], tags: dict[str, str]) -> bool:
    """Whether every name of a fast-path line and its window keys can be stored."""
    if len(entity) > NAME_MAX_CHARS or len(max(values, key=len)) > NAME_MAX_CHARS:
        return False
    largest = 0
    for name, value in tags.items():
        if len(name) > NAME_MAX_CHARS:
            return False
        largest = max(largest, tag_key_bytes(name, value))
    metric = max(values, key=utf8_len)
    return key_bytes(SERIES, metric, entity, largest) <= KEY_MAX_BYTES


def series_fast(line: str, receive_ms: int) -> list[Event] | None:
    """Events of a plain ``series`` line, or ``None`` to defer to the general path.

    ``line`` has no quotes. Handles ``e:``, ``m:``, ``t:``, ``ms:`` and ``d:`` fields
    of printable text; any other field, and any value the general path might reject,
    defers to the general path, which owns the errors.
    """
    tokens = line.split(" ")
    if tokens[0] != SERIES or len(tokens) > MAX_TAGS:
        return None
    del tokens[0]
    entity = None
    time_ms = receive_ms
    tags: dict[str, str] = {}
    values: dict[str, float] = {}
    known_fields = _known_fields
    known_metrics = _known_metrics
    metric = ""
    value = NAN
    for token in tokens:
        known = known_fields.get(token)
        if known is None:
            prefix, _, payload = token.partition(":")
            if prefix == "m":
                written, _, text = payload.partition("=")
                try:
                    value = float(text)  # also fails for a field without '='
                except ValueError:
                    return None
                # float() also takes '1_0', 'inf', 'nan', non-ASCII digits and
                # surrounding whitespace; the spec does not. Finite printable ASCII
                # without '_' is exactly the spec's grammar.
                if value - value != 0.0 or "_" in text or not text.isascii():
                    if text != "NaN":
                        return None
                elif not text.isprintable():
                    return None
                known_metric = known_metrics.get(written) or _learn_metric(written)
                if known_metric is None:
                    return None
                metric = known_metric
                values[metric] = value
                continue
            if prefix == "ms":
                if not (payload.isdigit() and payload.isascii()):
                    return None
                time_ms = int(payload)
                if time_ms > MAX_TIME_MS:
                    return None
                continue
            if prefix == "d":
                try:
                    time_ms = parse_iso_time(payload)
                except CommandError:
                    return None
                continue
            if not token:
                continue  # two spaces in a row
            known = _learn_field(token)
            if known is None:
                return None  # s:, x:, a:, unknown prefixes, text without a prefix
        tag, text = known
        if tag:
            tags[tag] = text
        else:
            entity = text
    if entity is None or not values:
        return None
    if len(line) > UNCHECKED_LINE_CHARS and not _fits(entity, values, tags):
        return None
    if len(values) == 1:  # most lines: the one metric is the last one read
        return [Event(SERIES, entity, metric, tags, time_ms, receive_ms, value, None, values)]
    return [
        Event(SERIES, entity, name, tags, time_ms, receive_ms, value, None, values)
        for name, value in values.items()
    ]
