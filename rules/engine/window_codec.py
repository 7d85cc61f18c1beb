"""A window's checkpoint record: its key as the field name, its samples and state as bytes.

The incremental snapshot (rules.partition.journal) stores one record per window, so
that a checkpoint rewrites only the windows that changed. A record is

* a header: the length of the JSON part and the number of samples (two uint32);
* JSON: ``[max_time, event, *state]``: the last accepted command in its wire form
  without the entity and metric when they are the window key's (None: the key's),
  then the state in ``WindowState.to_list`` form;
* the sample times as int64 and the values as float64, oldest first (NaN and
  infinities kept exactly, 16 bytes a sample).

The field name is the window key as JSON (``key_to_json``), unique within a rule.
"""

from __future__ import annotations

import struct
from array import array
from typing import Any

import orjson

from rules.engine.grouping import key_from_json, key_to_json
from rules.engine.state import WindowState
from rules.engine.window_runtime import WindowRuntime
from rules.events import Event

_HEADER = struct.Struct("<II")


def window_field(wr: WindowRuntime) -> bytes:
    """The record's name: the window key as JSON."""
    return orjson.dumps(key_to_json(wr.key))


def encode_window(wr: WindowRuntime) -> bytes:
    """The window's samples and state as one record."""
    w = wr.window
    st = wr.state
    event = st.event.to_wire() if st.event is not None else None
    if event is not None:
        key = wr.key
        if event[1] == key[2]:
            event[1] = None
        if event[2] == key[1]:
            event[2] = None
    head = orjson.dumps([w.max_time, event, *st.to_list()])
    times: Any = w._t
    values: Any = w._all
    if not isinstance(times, array):  # a large window's deques
        times, values = array("q", times), array("d", values)
    return b"".join((_HEADER.pack(len(head), len(times)), head, times, values))


def decode_window(rule: Any, field: bytes, record: bytes) -> WindowRuntime:
    """Make the window ``field``/``record`` describe in ``rule`` (a ``RuleRuntime``)
    and return it."""
    head_len, n = _HEADER.unpack_from(record)
    start = _HEADER.size
    max_time, event, *state = orjson.loads(record[start : start + head_len])
    start += head_len
    times = array("q", record[start : start + 8 * n])
    values = array("d", record[start + 8 * n : start + 16 * n])
    key = key_from_json(orjson.loads(field))
    wr: WindowRuntime = rule.new_window(key)
    w = wr.window
    put = w._put
    for t, v in zip(times, values, strict=True):
        put(t, v)
    w.max_time = max_time
    if event is not None:
        if event[1] is None:
            event[1] = key[2]
        if event[2] is None:
            event[2] = key[1]
    wr.state = WindowState.from_list(state, Event.from_wire(event) if event else None)
    return wr
