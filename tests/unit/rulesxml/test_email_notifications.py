"""``<emailNotification>`` ↔ ``EmailNotificationSpec`` (spec §2.4): read, write, read again."""

from __future__ import annotations

import pytest
from lxml import etree

from rules.contract.bindings import Delay, RepeatInterval
from rules.contract.email_bindings import (
    EmailNotificationError,
    EmailNotificationSpec,
    EmailTriggerSettings,
    split_recipients,
)
from rules.rulesxml import import_rules
from rules.rulesxml.email_notifications import (
    read_email_notification,
    write_email_notification,
)

CORPUS_STYLE = """<emailNotification>
<disabled>false</disabled>
<rule-name>kafka</rule-name>
<repeat-interval><type>INTERVAL</type><intervalCount>6</intervalCount><intervalUnit>HOUR</intervalUnit></repeat-interval>
<name>Email Notification id=525</name>
<use-in-threshold-only>false</use-in-threshold-only>
<first-details>false</first-details><repeat-details>false</repeat-details><cancel-details>false</cancel-details>
<first-screenshot>true</first-screenshot><repeat-screenshot>true</repeat-screenshot><cancel-screenshot>true</cancel-screenshot>
<first-portal-ids>175</first-portal-ids>
<recipients>mailbox@example.com</recipients>
<first-subject>Broker Failed Fetch Requests &gt; 0</first-subject>
<repeat-subject>Broker Failed Fetch Requests &gt; 0</repeat-subject>
<cancel-subject/>
<merge>false</merge>
<priority>1</priority>
<body-first>&lt;pre&gt;&#13;
Disk: ${value}&#13;
&lt;/pre&gt;</body-first>
</emailNotification>"""


def test_a_corpus_style_element_reads_every_field():
    spec = read_email_notification(CORPUS_STYLE)
    assert spec.name == "Email Notification id=525"
    assert spec.repeat_interval == RepeatInterval("INTERVAL", 6, "HOUR")
    assert spec.recipients == "mailbox@example.com"
    assert spec.priority == 1
    assert spec.merge is False
    assert spec.open == EmailTriggerSettings(
        subject="Broker Failed Fetch Requests > 0",
        body="<pre>\nDisk: ${value}\n</pre>",  # CR LF → LF, markup unescaped once
        screenshot=True,
        portal_ids="175",
    )
    assert spec.cancel.subject == ""
    assert (spec.enabled_on("open"), spec.enabled_on("repeat"), spec.enabled_on("cancel")) == (
        True,
        True,
        False,  # no subject: the trigger is off (ATSD has no <cancel-enabled>)
    )


def test_as_open_triggers_send_with_the_open_settings():
    spec = EmailNotificationSpec(
        "e",
        cancel_as_open=True,
        open=EmailTriggerSettings(subject="S", body="B"),
        cancel=EmailTriggerSettings(subject=""),
    )
    assert spec.slot("cancel") == "open"
    assert spec.sends("cancel").body == "B"
    assert spec.enabled_on("cancel")
    assert spec.slot("repeat") == "repeat"
    assert not spec.enabled_on("repeat")


def test_write_then_read_gives_the_same_spec_in_atsd_element_order():
    spec = EmailNotificationSpec(
        "Email Notification id=3",
        enabled=False,
        open_delay=Delay(2, "MINUTE"),
        repeat_interval=RepeatInterval("COUNT", 3, "MINUTE"),
        repeat_as_open=True,
        recipients="${tags.owner}@example.org; ops@example.org",
        merge=True,
        priority=1,
        open=EmailTriggerSettings(
            "[${status}] ${rule}", "<p>${value}</p>\nnext", True, True, "1,2"
        ),
        cancel=EmailTriggerSettings("bye", ""),
        extra_elements=("<custom>kept</custom>",),
    )
    xml = write_email_notification(spec, "owner-rule")
    assert read_email_notification(xml) == spec
    tags = [child.tag for child in etree.fromstring(xml)]
    assert tags[:4] == ["disabled", "rule-name", "first-delay", "repeat-interval"]
    assert tags[-5:] == ["priority", "body-first", "body-repeat", "body-cancel", "custom"]
    assert etree.fromstring(xml).findtext("rule-name") == "owner-rule"


def test_an_unnamed_element_is_named_by_its_position():
    assert read_email_notification("<emailNotification/>", index=4).name == (
        "Email Notification id=5"
    )


@pytest.mark.parametrize(
    ("xml", "element"),
    [
        ("<emailNotification><priority>high</priority></emailNotification>", "priority"),
        ("<emailNotification><merge>maybe</merge></emailNotification>", "merge"),
        ("<emailNotification><name>a</name><name>b</name></emailNotification>", "name"),
        ("<webNotification/>", "webNotification"),
        ("<emailNotification>", "emailNotification"),
    ],
)
def test_bad_elements_name_the_child_at_fault(xml, element):
    with pytest.raises(EmailNotificationError) as caught:
        read_email_notification(xml)
    assert caught.value.element == element


def test_a_rules_xml_with_a_bad_email_element_is_refused_naming_it(fixture_bytes):
    data = fixture_bytes("email_notification_rule.xml").replace(
        b"<priority>1</priority>", b"<priority>urgent</priority>"
    )
    result = import_rules(data, auto_enable=False)
    assert result.saved is False
    assert "emailNotification/priority" in str(result.failures[0])


def test_recipients_split_on_commas_semicolons_and_spaces_without_repeats():
    assert split_recipients(" a@x.org; b@x.org,c@x.org\n a@x.org ") == [
        "a@x.org",
        "b@x.org",
        "c@x.org",
    ]
