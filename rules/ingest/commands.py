"""Parse one ATSD network command line into normalised events (spec §1.1-1.3).

``parse_command`` has two paths that must agree:

* a fast path for the common ``series`` line without quotes
  (:mod:`rules.ingest.series_fast`); it never reports errors itself: on anything
  unusual or invalid it gives up and lets the general path decide;
* the general path: a quote-aware scanner that turns the line into fields,
  then one builder per command that applies every rule and names the field
  at fault when it rejects the line.

Events from one ``series`` line share their ``tags`` and ``line_values``
dicts; consumers treat events as read-only.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rules.columns import key_bytes, key_too_long, name_too_long, tag_key_bytes, utf8_len
from rules.events import ENTITY, MESSAGE, PROPERTY, SERIES, Event
from rules.ingest.series_fast import series_fast
from rules.ingest.values import (
    MAX_LINE_BYTES,
    MAX_TAGS,
    NAN,
    CommandError,
    parse_bool,
    parse_epoch,
    parse_iso_time,
    parse_number,
    parse_severity,
)

# A line this short cannot exceed the byte limit even at 4 bytes per character.
_SHORT_LINE_CHARS = MAX_LINE_BYTES // 4
# How much of a field is quoted back in an error message.
_FIELD_ECHO_CHARS = 80


# --------------------------------------------------------------------------
# Scanner: line → command word and fields


class Field(NamedTuple):
    """One ``prefix:payload`` field with quotes removed.

    ``name`` is set for ``name=value`` fields and ``None`` for plain ones;
    ``raw`` is the field as written, for error messages.
    """

    prefix: str
    name: str | None
    value: str
    raw: str


_PLAIN, _PAIR = False, True
_TIME_PREFIXES = {"d": _PLAIN, "ms": _PLAIN, "s": _PLAIN}
_SHAPES: dict[str, dict[str, bool]] = {
    SERIES: {"e": _PLAIN, "m": _PAIR, "x": _PAIR, "t": _PAIR, "a": _PLAIN} | _TIME_PREFIXES,
    MESSAGE: {"e": _PLAIN, "t": _PAIR, "m": _PLAIN, "p": _PLAIN} | _TIME_PREFIXES,
    PROPERTY: {"e": _PLAIN, "t": _PLAIN, "k": _PAIR, "v": _PAIR, "p": _PLAIN} | _TIME_PREFIXES,
    ENTITY: {"e": _PLAIN, "l": _PLAIN, "b": _PLAIN, "i": _PLAIN, "z": _PLAIN, "t": _PAIR},
}
# C0 and C1 control characters; allowed only inside quotes (spec §1.2 rules 3 and 5).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _echo(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "\\0")  # NUL would end a C string in a log reader
    if len(text) <= _FIELD_ECHO_CHARS:
        return text
    return text[: _FIELD_ECHO_CHARS - 3] + "..."


class _Scanner:
    """Quote-aware reader over one command line (spec §1.2 rules 2-5)."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.pos = 0
        self.command = ""

    def fail(self, detail: str, start: int | None = None) -> CommandError:
        # Echo the field from its start to the next space, or further when a quote was open.
        where = ""
        if start is not None:
            end = self._token_end(self.pos)
            where = f"{_echo(self.line[start:end])}: "
        return CommandError(f"{self.command}: {where}{detail}" if self.command else detail)

    def _token_end(self, start: int) -> int:
        end = self.line.find(" ", start)
        return len(self.line) if end < 0 else end

    def _skip_spaces(self) -> None:
        line, pos, size = self.line, self.pos, len(self.line)
        while pos < size and line[pos] == " ":
            pos += 1
        self.pos = pos

    def scan(self) -> tuple[str, list[Field]]:
        self._skip_spaces()
        end = self._token_end(self.pos)
        command = self.line[self.pos : end]
        if not command:
            raise CommandError("empty command line")
        shapes = _SHAPES.get(command)
        if shapes is None:
            raise CommandError(f"unknown command {_echo(command)!r}")
        self.command = command
        self.pos = end
        fields: list[Field] = []
        while True:
            self._skip_spaces()
            if self.pos >= len(self.line):
                return command, fields
            fields.append(self._field(shapes))

    def _field(self, shapes: dict[str, bool]) -> Field:
        line, start = self.line, self.pos
        colon = line.find(":", start, self._token_end(start))
        if colon < 0 or '"' in line[start:colon]:
            raise self.fail("field has no prefix (expected prefix:value)", start)
        prefix = line[start:colon]
        shape = shapes.get(prefix)
        if shape is None:
            raise self.fail(f"unknown field prefix '{_echo(prefix)}:'", start)
        self.pos = colon + 1
        name = self._name(start) if shape is _PAIR else None
        value = self._value(start)
        return Field(prefix, name, value, line[start : self.pos])

    def _name(self, start: int) -> str:
        line, pos = self.line, self.pos
        if line.startswith('"', pos):
            name = self._quoted(start)
            if not line.startswith("=", self.pos):
                raise self.fail("expected '=' after the quoted name", start)
        else:
            equals = line.find("=", pos, self._token_end(pos))
            if equals < 0:
                raise self.fail("expected name=value", start)
            name = line[pos:equals]
            self._check_unquoted(name, "name", start)
            self.pos = equals
        self.pos += 1
        return name

    def _value(self, start: int) -> str:
        line, pos = self.line, self.pos
        if line.startswith('"', pos):
            value = self._quoted(start)
            if self.pos < len(line) and line[self.pos] != " ":
                raise self.fail("unexpected text after the closing quote", start)
            return value
        end = self._token_end(pos)
        value = line[pos:end]
        self._check_unquoted(value, "value", start)
        self.pos = end
        return value

    def _quoted(self, start: int) -> str:
        line = self.line
        search = self.pos + 1
        while True:
            close = line.find('"', search)
            if close < 0:
                column = self.pos + 1
                self.pos = len(line)
                raise self.fail(f"unterminated quote at column {column}", start)
            if line.startswith('"', close + 1):
                search = close + 2  # "" is an escaped quote
                continue
            text = line[self.pos + 1 : close]
            self.pos = close + 1
            if "\x00" in text:
                raise self.fail("NUL character (U+0000) in a quoted value cannot be stored", start)
            return text.replace('""', '"')

    def _check_unquoted(self, text: str, what: str, start: int) -> None:
        if '"' in text:
            raise self.fail(f"'\"' inside an unquoted {what}; quote the whole {what}", start)
        control = _CONTROL_RE.search(text)
        if control:
            code = ord(control.group())
            raise self.fail(f"control character U+{code:04X} in an unquoted {what}", start)


# --------------------------------------------------------------------------
# Builders: fields → events, one per command


class _Common:
    """Fields every command shares: entity, time and persist."""

    __slots__ = ("command", "entity_field", "persist", "time_ms")

    def __init__(self, command: str, receive_ms: int) -> None:
        self.command = command
        self.entity_field: Field | None = None
        self.time_ms = receive_ms
        self.persist = True

    def take(self, field: Field) -> None:
        """Apply one of the shared fields (the scanner let no other prefix through)."""
        prefix = field.prefix
        if prefix == "e":
            self.entity_field = field  # checked at the end: a later e: wins
        elif prefix == "ms":
            self.time_ms = parse_epoch(field.value, "ms", 1)
        elif prefix == "s":
            self.time_ms = parse_epoch(field.value, "s", 1000)
        elif prefix == "d":
            self.time_ms = parse_iso_time(field.value)
        elif prefix == "p":
            self.persist = _parse_bool_field(self.command, field)
        else:
            raise AssertionError(f"unexpected prefix {prefix!r}")

    def require_entity(self) -> str:
        field = self.entity_field
        if field is None:
            raise CommandError("missing required field e: (entity)")
        if not field.value:
            raise _field_error(self.command, field, "empty entity name")
        return _stored_name(self.command, field, field.value, "entity")


def _field_error(command: str, field: Field, detail: str) -> CommandError:
    return CommandError(f"{command}: {_echo(field.raw)}: {detail}")


def _parse_bool_field(command: str, field: Field) -> bool:
    try:
        return parse_bool(field.value)
    except ValueError as exc:
        raise _field_error(command, field, str(exc)) from None


def _number_field(command: str, field: Field) -> float:
    try:
        return parse_number(field.value)
    except ValueError as exc:
        raise _field_error(command, field, str(exc)) from None


def _stored_name(command: str, field: Field, name: str, what: str) -> str:
    """``name`` lower-cased, as it is stored; rejected when its column cannot hold it."""
    lowered = name.lower()
    problem = name_too_long(what, lowered)
    if problem is not None:
        raise _field_error(command, field, problem)
    return lowered


def _name_of(command: str, field: Field, what: str) -> str:
    if not field.name:
        raise _field_error(command, field, f"empty {what} name")
    return _stored_name(command, field, field.name, what)


def _check_key(
    command: str, metric: str, entity: str, tags: dict[str, str], tag_prefix: str = "t:"
) -> None:
    """Reject a line whose kind, metric, entity and largest tag make a window key the
    database cannot store (rules.columns); names that tag."""
    largest, field = 0, ""
    for name, value in tags.items():
        size = tag_key_bytes(name, value)
        if size > largest:
            largest, field = size, f"{tag_prefix}{_echo(name)}"
    problem = key_too_long(key_bytes(command, metric, entity, largest))
    if problem is not None:
        with_tag = f" and {field}" if field else ""
        raise CommandError(f"{command}: kind, metric, entity{with_tag}: {problem}")


def _set_tag(tags: dict[str, str], name: str, value: str) -> None:
    # An empty series/message tag value means "no tag" [decision]; last wins.
    if value:
        tags[name] = value
    else:
        tags.pop(name, None)


def _check_tag_count(count: int) -> None:
    if count > MAX_TAGS:
        raise CommandError(f"{count} tags, the limit is {MAX_TAGS}")


def _build_series(fields: list[Field], receive_ms: int) -> list[Event]:
    common = _Common(SERIES, receive_ms)
    tags: dict[str, str] = {}
    # Metric name → m: value, or None for an x:-only metric; insertion order is written order.
    values: dict[str, float | None] = {}
    texts: dict[str, str] = {}
    for field in fields:
        prefix = field.prefix
        if prefix == "m":
            values[_name_of(SERIES, field, "metric")] = _number_field(SERIES, field)
        elif prefix == "t":
            _set_tag(tags, _name_of(SERIES, field, "tag"), field.value)
        elif prefix == "x":
            name = _name_of(SERIES, field, "metric")
            texts[name] = field.value
            values.setdefault(name, None)
        elif prefix == "a":
            _parse_bool_field(SERIES, field)  # append mode is a storage concern
        else:
            common.take(field)
    entity = common.require_entity()
    if not values:
        raise CommandError("series: at least one m: or x: field required")
    _check_tag_count(len(tags))
    _check_key(SERIES, max(values, key=utf8_len), entity, tags)
    if texts:
        line_values = {name: value for name, value in values.items() if value is not None}
    else:
        line_values = values  # type: ignore[assignment]  # no None without x:
    return [
        Event(
            kind=SERIES,
            entity=entity,
            metric=name,
            tags=tags,
            time_ms=common.time_ms,
            receive_ms=receive_ms,
            value=NAN if value is None else value,
            text=texts.get(name),
            line_values=line_values,
        )
        for name, value in values.items()
    ]


def _build_message(fields: list[Field], receive_ms: int) -> list[Event]:
    common = _Common(MESSAGE, receive_ms)
    tags: dict[str, str] = {}
    text: str | None = None
    for field in fields:
        if field.prefix == "t":
            _set_tag(tags, _name_of(MESSAGE, field, "tag"), field.value)
        elif field.prefix == "m":
            text = field.value
        else:
            common.take(field)
    entity = common.require_entity()
    if not text and not tags:
        raise CommandError("message: message text (m:) or at least one tag (t:) required")
    _check_tag_count(len(tags))
    _check_key(MESSAGE, MESSAGE, entity, tags)
    severity = None
    if "severity" in tags:
        try:
            severity = parse_severity(tags["severity"])
        except ValueError as exc:
            raise CommandError(f"message: t:severity: {exc}") from None
    return [
        Event(
            kind=MESSAGE,
            entity=entity,
            metric=MESSAGE,
            tags=tags,
            time_ms=common.time_ms,
            receive_ms=receive_ms,
            value=0.0,
            text=text,
            # Message rules also see type/source/severity in tags (spec §4.4).
            type=tags.get("type"),
            source=tags.get("source"),
            severity=severity,
            persist=common.persist,
        )
    ]


def _build_property(fields: list[Field], receive_ms: int) -> list[Event]:
    common = _Common(PROPERTY, receive_ms)
    type_: str | None = None
    keys: dict[str, str] = {}
    tags: dict[str, str] = {}
    for field in fields:
        if field.prefix == "t":
            if not field.value:
                raise _field_error(PROPERTY, field, "empty property type")
            type_ = _stored_name(PROPERTY, field, field.value, "property type")
        elif field.prefix == "k":
            keys[_name_of(PROPERTY, field, "key")] = field.value
        elif field.prefix == "v":
            # An empty value is kept: it deletes the stored tag (spec §1.5 #12).
            tags[_name_of(PROPERTY, field, "tag")] = field.value
        else:
            common.take(field)
    entity = common.require_entity()
    if type_ is None:
        raise CommandError("missing required field t: (property type)")
    if not tags:
        raise CommandError("property: at least one v: field required")
    _check_tag_count(len(keys) + len(tags))
    # Property rules group by the keys and the type (rules.engine.scope.event_tags).
    _check_key(PROPERTY, PROPERTY, entity, keys | {"type": type_}, "k:")
    return [
        Event(
            kind=PROPERTY,
            entity=entity,
            metric=PROPERTY,
            tags=tags,
            time_ms=common.time_ms,
            receive_ms=receive_ms,
            value=0.0,
            type=type_,
            keys=keys,
            persist=common.persist,
        )
    ]


def _build_entity(fields: list[Field], receive_ms: int) -> list[Event]:
    common = _Common(ENTITY, receive_ms)
    label: str | None = None
    tags: dict[str, str] = {}  # "" removes the tag
    other: dict[str, str] = {}
    for field in fields:
        prefix = field.prefix
        if prefix == "t":
            tags[_name_of(ENTITY, field, "tag")] = field.value
        elif prefix == "l":
            label = field.value
        elif prefix == "b":
            other["enabled"] = "true" if _parse_bool_field(ENTITY, field) else "false"
        elif prefix == "i":
            if field.value.lower() not in ("", "linear", "previous"):
                raise _field_error(ENTITY, field, 'expected linear, previous or ""')
            other["interpolate"] = field.value.lower()
        elif prefix == "z":
            other["time_zone"] = field.value
        else:
            common.take(field)
    entity = common.require_entity()
    _check_tag_count(len(tags))
    return [Event(ENTITY, entity, ENTITY, tags, receive_ms, receive_ms, text=label, keys=other)]


_BUILDERS = {
    SERIES: _build_series,
    MESSAGE: _build_message,
    PROPERTY: _build_property,
    ENTITY: _build_entity,
}


def _parse_general(line: str, receive_ms: int) -> list[Event]:
    command, fields = _Scanner(line).scan()
    return _BUILDERS[command](fields, receive_ms)


# --------------------------------------------------------------------------


def parse_command(line: str, receive_ms: int) -> list[Event]:
    """Parse one ``series``, ``message``, ``property`` or ``entity`` command line.

    ``line`` is one command as split by :mod:`rules.ingest.lines` (no
    terminating LF; quoted values may hold LF). ``receive_ms`` is the server
    receive time, used as the event time when the line names none.

    Returns one event per metric for ``series`` (in written order) and one
    event for ``message``, ``property`` and ``entity``. Raises :class:`CommandError` with
    a human reason when any rule of spec §1.1-1.3 rejects the line or a name
    or key is more than the database can store (:mod:`rules.columns`);
    a rejected line yields no events at all.
    """
    if len(line) > _SHORT_LINE_CHARS:
        size = len(line.encode("utf-8"))
        if size > MAX_LINE_BYTES:
            raise CommandError(f"line is {size} bytes, the limit is {MAX_LINE_BYTES}")
    if '"' not in line:
        events = series_fast(line, receive_ms)
        if events is not None:
            return events
    return _parse_general(line, receive_ms)
