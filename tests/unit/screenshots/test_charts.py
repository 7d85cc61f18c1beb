"""The charts a notification attaches, and what the room is told about them."""

from __future__ import annotations

import pytest

from notifications.portals import catalog
from notifications.screenshots.charts import Chart, attached_portals

SERVER_URL = "https://atsd.example.org"
RULE_LINK = f"{SERVER_URL}/rule/edit.xhtml?name=disk_low"


@pytest.fixture(autouse=True)
def server_url(settings):
    settings.SERVER_URL = SERVER_URL


def chart(caption: str = "Default for <nurswg>") -> Chart:
    portal = catalog.by_name(catalog.DEFAULT)
    assert portal is not None
    link = f"{SERVER_URL}/portals/series?metric=m&entity=e&x=1"
    return Chart(portal, {"metric": "m"}, "disk_low_open.png", caption, link)


def test_default_comes_first_then_known_portal_ids_once_each(caplog):
    portals = attached_portals("2, 1, 99, 2", "disk_low")

    assert [p.name for p in portals] == ["Default", "Entity Overview"]
    assert "rule disk_low: unknown portal ids 99 skipped" in caplog.text


def test_without_an_image_the_room_gets_the_reason_and_the_link():
    text = chart().unavailable_text("no browser", "text")
    assert text == (
        "Default for <nurswg>: chart could not be captured (no browser). "
        f"Chart: {SERVER_URL}/portals/series?metric=m&entity=e&x=1"
    )

    html = chart().unavailable_text("a < b", "html")
    assert html.startswith("Default for &lt;nurswg&gt;: chart could not be captured (a &lt; b).")
    assert html.endswith('<a href="https://atsd.example.org/portals/series?metric=m&amp;entity=e'
                         '&amp;x=1">Default</a>')  # fmt: skip


def test_the_links_message_names_the_rule_and_the_portal():
    assert chart("Default for e").links_text("disk_low", "text") == (
        f"Rule disk_low: {RULE_LINK}\n"
        f"Portal Default for e: {SERVER_URL}/portals/series?metric=m&entity=e&x=1"
    )
    html = chart("Default for e").links_text("disk_low", "html")
    assert html.startswith(f'Rule: <a href="{RULE_LINK}">disk_low</a> Portal: <a href=')
    assert html.endswith(">Default for e</a>")


def test_the_links_message_uses_the_formats_own_links():
    markdown = chart("Default for e").links_text("disk_low", "markdown")
    assert markdown.startswith(f"Rule: [disk_low]({RULE_LINK}) Portal: [Default for e](")
    pipe = chart("Default for e").links_text("disk_low", "pipe")
    assert pipe.startswith(f"Rule: <{RULE_LINK}|disk_low> Portal: <")
