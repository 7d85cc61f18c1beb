"""File names of details and image uploads (spec §7.3 [inferred from screenshots]).

``atsd.jvm.low_memory_atsd_open_20171127_1408043.txt`` and
``atsd.jvm.low_memory_atsd_open_Default_20180222_1710596.png``: status in lower
case, the time as ``yyyyMMdd_HHmmssT`` (T = tenths of a second) in the server
zone, and every character outside ``[A-Za-z0-9._-]`` replaced by ``_`` so the
name is safe for any chat server's upload.
"""

from __future__ import annotations

import datetime as dt
import re

from rules.expressions.datetime_value import get_zone

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name_part(text: str) -> str:
    """``text`` with every character outside ``[A-Za-z0-9._-]`` replaced by ``_``."""
    return _UNSAFE.sub("_", text)


def _stamp(time_ms: int, zone: str) -> str:
    local = (
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(time_ms))
    ).astimezone(get_zone(zone))
    tenths = local.microsecond // 100_000
    return local.strftime("%Y%m%d_%H%M%S") + str(tenths)


def details_file_name(
    rule: str, entity: str | None, status: str, time_ms: int, zone: str = "UTC"
) -> str:
    """``{rule}_{entity}_{status}_{yyyyMMdd}_{HHmmssT}.txt``."""
    parts = [rule, entity or "", status.lower()]
    return "_".join(safe_name_part(p) for p in parts) + f"_{_stamp(time_ms, zone)}.txt"


def image_file_name(
    rule: str, entity: str | None, status: str, portal: str, time_ms: int, zone: str = "UTC"
) -> str:
    """``{rule}_{entity}_{status}_{portal}_{yyyyMMdd}_{HHmmssT}.png``."""
    parts = [rule, entity or "", status.lower(), portal]
    return "_".join(safe_name_part(p) for p in parts) + f"_{_stamp(time_ms, zone)}.png"
