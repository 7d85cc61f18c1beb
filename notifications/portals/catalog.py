"""The portals users pick from (endpoint Test Portal, rule Attach Portals ids).

Portals are code, not rows: each is a page with a fixed id, because rules.xml
refers to them by id (``<first-portal-ids>``) and an id must mean the same page
on every installation. ``Default`` (id 1) is the series chart of spec §7.3.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT = "Default"


@dataclass(frozen=True)
class Portal:
    """``id``: the number rules refer to; ``url_name``: the Django URL of its page."""

    id: int
    name: str
    url_name: str
    description: str


PORTALS: tuple[Portal, ...] = (
    Portal(
        1,
        DEFAULT,
        "portal-series",
        "Series chart of one metric for one entity (and tags): the alert's window, "
        "open time and threshold marked.",
    ),
    Portal(
        2,
        "Entity Overview",
        "portal-overview",
        "Every recorded metric of one entity, one small chart each (up to six).",
    ),
)


def all_portals() -> tuple[Portal, ...]:
    return PORTALS


def by_id(portal_id: int | str) -> Portal | None:
    """The portal with ``portal_id`` (int or its text), or None."""
    try:
        wanted = int(str(portal_id).strip())
    except ValueError:
        return None
    return next((p for p in PORTALS if p.id == wanted), None)


def by_name(name: str) -> Portal | None:
    return next((p for p in PORTALS if p.name == name), None)


def lookup(ref: str) -> Portal | None:
    """A portal by id or by name (Endpoint.test_portal holds either)."""
    return by_id(ref) or by_name(ref.strip())


def parse_ids(text: str) -> list[Portal]:
    """The known portals of a comma list of ids (``T_portal_ids``), in order, without
    duplicates; unknown ids are skipped (the caller reports them)."""
    seen: list[Portal] = []
    for part in (text or "").split(","):
        portal = by_id(part) if part.strip() else None
        if portal is not None and portal not in seen:
            seen.append(portal)
    return seen
