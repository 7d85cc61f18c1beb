"""Markdown messages (Telegram's parse mode) escape the markers in values, so a name such
as ``disk_used_percent`` shows as it is, while links and the template's own Markdown stay."""

from notifications.rendering import render_message
from tests.unit.rendering.fixtures import info, trigger

SERVER = "https://atsd.example.org:8443"


def _render(template: str, rule: str = "disk_used_percent") -> str:
    t = trigger("disk_low_open", {"rule": rule})
    result = render_message(template, t, info(server_url=SERVER), now_ms=t.now_ms,
                            message_format="markdown")  # fmt: skip
    assert result.errors == []
    return result.text


def test_markers_in_values_are_escaped_and_the_template_s_own_are_kept():
    assert _render("*${rule}* on `${entity}`") == r"*disk\_used\_percent* on `nurswgvml007`"
    assert _render("${rule}", rule="a*b[c`d") == r"a\*b\[c\`d"


def test_links_stay_markdown_links_with_their_label_as_written():
    link = f"[disk_used_percent]({SERVER}/rule/edit.xhtml?name=disk_used_percent)"
    assert _render("${ruleLink}") == link
    assert _render("${getRuleLink('markdown')}") == link
