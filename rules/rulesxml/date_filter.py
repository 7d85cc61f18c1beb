"""``<dateFilter>`` → the engine's ``ActiveHours`` (spec §2.2)."""

from __future__ import annotations

from lxml import etree

from atsd_alerts.safe_xml import make_parser
from rules.engine.active_hours import ActiveHours


def read_date_filter(xml: str) -> ActiveHours | None:
    """The schedule a stored ``<dateFilter>`` holds; None = always (also for "").
    ``ValueError`` names what cannot be run."""
    if not xml.strip():
        return None
    element = etree.fromstring(xml.encode("utf-8"), make_parser())
    parts = {"start-time": "", "end-time": "", "type": ""}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in parts:
            raise ValueError(f"unexpected child <{child.tag}>")
        parts[child.tag] = "".join(child.itertext())
    return ActiveHours.parse(parts["start-time"], parts["end-time"], parts["type"])
