"""Overrides table and entity groups through the pages, rules.xml and the group store
(spec §2.5, §3.1 step 6, §3.11)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rules.models import EntityGroup
from rules.models.catalog import Entity
from rules.models.rule import Rule
from rules.partition.catalog_cache import CatalogCache
from rules.partition.definitions import definition_of
from rules.partition.group_cache import GroupCache
from rules.rulesxml import export_rules, import_rules
from rules.rulesxml.entity_groups import export_groups, import_groups

pytestmark = pytest.mark.django_db

RULE_WITH_TABLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<rules><rule>
<name>disk_low</name><metric>disk_used</metric><window>length(1)</window>
<expression><![CDATA[value > 80]]></expression>
<groupFilter>disk_prod</groupFilter>
<ruleTable>
<row><function>max</function><operator>&gt;</operator><errorThreshold>60</errorThreshold>
<warningThreshold>30</warningThreshold><entityGroup>disk_prod</entityGroup><entity>*</entity>
<tag name="mount_point">/</tag><webNotification>Ops room</webNotification></row>
</ruleTable>
</rule></rules>
"""


def _editor_post(rule: Rule, **changes) -> dict:
    data = {
        "enabled": "on", "metric": rule.metric, "window": "count(1)",
        "expression": rule.expression, "severity": rule.severity,
        "tags_grouping_strategy": rule.tags_grouping_strategy, "group_by_entity": "on",
        "time_filter_count": "0", "time_filter_unit": "SECOND",
    }  # fmt: skip
    data.update(changes)
    return data


def test_rule_table_imports_runs_and_round_trips():
    EntityGroup.objects.create(name="DISK_PROD")
    report = import_rules(RULE_WITH_TABLE, auto_enable=False)
    assert report.saved, [str(f) for f in report.failures]
    [result] = report.rules
    assert not [note for note in result.fidelity if "ruleTable" in note or "groupFilter" in note]
    rule = Rule.objects.get(name="disk_low")
    definition = definition_of(rule)
    [row] = definition.overrides
    assert (row.function, row.error, row.warning, row.entity_group) == (
        "max",
        "60",
        "30",
        "disk_prod",
    )
    assert (row.tags, row.notifications, definition.group_filter) == (
        (("mount_point", "/"),), ("Ops room",), "disk_prod",
    )  # fmt: skip
    exported = export_rules([rule])
    rule.delete()
    assert import_rules(exported, auto_enable=False).saved
    assert definition_of(Rule.objects.get(name="disk_low")).overrides == definition.overrides


def test_import_notes_entity_groups_that_do_not_exist():
    [result] = import_rules(RULE_WITH_TABLE, auto_enable=False).rules
    assert result.fidelity == [
        "groupFilter: entity group 'disk_prod' does not exist; it matches no entity until created",
        "ruleTable row 1: entity group 'disk_prod' does not exist; "
        "it matches no entity until created",
    ]


def test_bad_override_row_fails_the_import_naming_the_row():
    bad = RULE_WITH_TABLE.replace(b"<operator>&gt;</operator>", b"<operator>=&gt;</operator>")
    report = import_rules(bad, auto_enable=False)
    assert not report.saved
    assert "ruleTable" in str(report.failures[0])
    assert "row 1: operator '=>'" in str(report.failures[0])


def test_rule_page_shows_and_saves_overrides(admin_client):
    import_rules(RULE_WITH_TABLE, auto_enable=False)
    rule = Rule.objects.get(name="disk_low")
    url = reverse("rule-edit", args=[rule.pk])
    page = admin_client.get(url).content.decode()
    assert "disk_prod ; * ; mount_point=/ ; max ; &gt; ; 60 ; 30 ; Ops room" in page
    text = "disk_prod ; web* ; ; percentile(95) ; >= ; 90 ; ; \n ; nurswgvml010 ; ; value ; > ; 50"
    response = admin_client.post(url, _editor_post(rule, overrides=text, group_filter="web"))
    assert response.status_code == 302
    rule.refresh_from_db()
    rows = definition_of(rule).overrides
    assert [(r.entity_group, r.entity, r.function, r.operator, r.error) for r in rows] == [
        ("disk_prod", "web*", "percentile(95)", ">=", "90"),
        ("", "nurswgvml010", "value", ">", "50"),
    ]
    assert rule.group_filter == "web"
    refused = admin_client.post(url, _editor_post(rule, overrides="; ; ; avg ; >> ; 1"))
    assert refused.status_code == 200
    assert "line 1: operator &#x27;&gt;&gt;&#x27;" in refused.content.decode()


def test_group_store_answers_listed_and_expression_members():
    Entity.objects.create(name="db7", tags={"env": "prod"})
    Entity.objects.create(name="web1", tags={"env": "test"})
    EntityGroup.objects.create(
        name="Prod", members=["NURSWGVML010"], expression="tags.env = 'prod'"
    )
    catalog = CatalogCache()
    groups = GroupCache(catalog.entity)
    assert groups.member("prod", "nurswgvml010")
    assert groups.member("PROD", "db7")
    assert not groups.member("prod", "web1")
    assert not groups.member("unknown", "db7")


def test_group_pages_edit_export_and_import(admin_client):
    response = admin_client.post(
        reverse("entity-group-create"),
        {"name": "disk_prod", "member_names": "db1\ndb2 db1", "expression": "name LIKE 'nur*'"},
    )
    assert response.status_code == 302
    group = EntityGroup.objects.get(name="disk_prod")
    assert group.members == ["db1", "db2"]
    refused = admin_client.post(
        reverse("entity-group-edit", args=[group.pk]),
        {"name": "disk_prod", "expression": "avg() >"},
    )
    assert refused.status_code == 200
    listing = admin_client.get(reverse("entity-group-list")).content.decode()
    assert "disk_prod" in listing
    exported = admin_client.get(reverse("entity-group-export")).content
    assert exported == export_groups(EntityGroup.objects.all())
    group.delete()
    upload = SimpleUploadedFile("entity-groups.xml", exported, content_type="text/xml")
    assert admin_client.post(reverse("entity-group-import"), {"file": upload}).status_code == 302
    again = EntityGroup.objects.get(name="disk_prod")
    assert (again.members, again.expression) == (["db1", "db2"], "name LIKE 'nur*'")


def test_group_import_is_all_or_nothing():
    data = (
        b"<entityGroups><entityGroup><name>a</name><entity>x</entity></entityGroup>"
        b"<entityGroup><name>b</name><expression>max( &gt;</expression></entityGroup>"
        b"</entityGroups>"
    )
    result = import_groups(data)
    assert len(result.errors) == 1
    assert "group 'b': <expression>" in result.errors[0]
    assert not EntityGroup.objects.exists()


def test_threshold_of_the_winning_row_renders_in_notifications():
    from notifications.delivery.render import render_info
    from notifications.rendering import render_message
    from rules.engine.definition import RuleDefinition
    from rules.engine.engine import Engine
    from rules.engine.overrides import OverrideRow
    from rules.events import Event

    engine = Engine()
    rows = (OverrideRow("max", ">", error="60"),)
    engine.install(RuleDefinition("r", "m", "false", "length(2)", overrides=rows))
    [trigger] = engine.process(Event("series", "db1", "m", {}, 1, 1, 75.0), 1)
    info = render_info(trigger, message_format="text", details_format="", repeat_strategy=None)
    text = render_message("${severity}: ${threshold}", trigger, info, now_ms=1).text
    assert text == "critical: max() > 60"


def test_group_store_keeps_answering_when_the_database_cannot_be_read(monkeypatch):
    from django.db import DatabaseError

    from rules.partition import group_cache

    EntityGroup.objects.create(name="prod", members=["db1"])
    groups = GroupCache(CatalogCache().entity)
    assert groups.member("prod", "db1")

    def refused(*args, **kwargs):
        raise DatabaseError("the database is down")

    groups.reload()
    monkeypatch.setattr(group_cache.EntityGroup.objects, "all", refused)
    assert groups.member("prod", "db1")  # answered from the groups read last
    assert not groups.member("prod", "web1")
