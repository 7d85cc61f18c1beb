"""Labels an attacker controls (entity labels from collectors, rule names from imports)
never reach an html-format message as markup, whatever link form a template asks for."""

from __future__ import annotations

import pytest

from notifications.rendering import render_message
from tests.unit.rendering.fixtures import info, load_json, trigger

EVIL = '<img src=x onerror="alert(1)">'
DEFAULT_INFO = load_json("messages.json")["default_info"]


def _render(template: str, message_format: str, **overrides: str) -> str:
    trig = trigger("walkthrough_open", {"rule": overrides.get("rule", "temperature-too-high")})
    settings = info({**DEFAULT_INFO, "entity_label": overrides.get("entity_label", "")})
    result = render_message(
        template, trig, settings, now_ms=trig.now_ms, message_format=message_format
    )
    assert result.errors == []
    return result.text


@pytest.mark.parametrize("link_form", ["", "'html'", "'markdown'", "'pipe'", "'none'"])
def test_entity_label_with_markup_cannot_inject_html_through_get_entity_link(link_form):
    text = _render("${getEntityLink(" + link_form + ")}", "html", entity_label=EVIL)
    assert "<img" not in text
    assert "&lt;img" in text or link_form == "'none'"


@pytest.mark.parametrize("link_form", ["", "'html'", "'markdown'", "'pipe'"])
def test_rule_name_with_markup_cannot_inject_html_through_get_rule_link(link_form):
    text = _render("${getRuleLink(" + link_form + ")}", "html", rule=EVIL)
    assert "<img" not in text
    assert "&lt;img" in text


def test_markdown_links_in_markdown_messages_stay_as_atsd_writes_them():
    text = _render("${getEntityLink('markdown')}", "markdown", entity_label="Web *1*")
    assert text.startswith("[Web *1*](")
    assert text.endswith(")")


def test_html_links_keep_their_anchor_in_html_messages():
    text = _render("${getEntityLink()}", "html", entity_label="Web & DB")
    assert text.startswith('<a href="')
    assert text.endswith(">Web &amp; DB</a>")
